/**
 * `make bench`: runs every benchmark section and writes bench/results/report.md and report.json.
 * A section is any exported function named bench* in a bench/*.ts module, returning a BenchSection.
 * `--only <word>` runs the modules whose file name contains the word.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { repoRoot } from '../lib/paths.js';
import type { BenchSection } from './types.js';

const isSection = (v: unknown): v is BenchSection =>
  typeof v === 'object' && v !== null && typeof (v as BenchSection).title === 'string' && typeof (v as BenchSection).markdown === 'string' &&
  typeof (v as BenchSection).figures === 'object';

async function main(argv: string[]): Promise<void> {
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
  const here = dirname(fileURLToPath(import.meta.url));
  const modules = readdirSync(here)
    .filter((f) => f.endsWith('.js') && !['run.js', 'types.js'].includes(f))
    .filter((f) => !only || f.includes(only))
    .sort();
  const sections: { module: string; section: BenchSection; seconds: number }[] = [];
  for (const file of modules) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as Record<string, unknown>;
    for (const [name, fn] of Object.entries(mod)) {
      if (!name.startsWith('bench') || typeof fn !== 'function') continue;
      process.stderr.write(`bench: ${basename(file, '.js')}.${name} ...\n`);
      const t0 = performance.now();
      const out: unknown = await (fn as () => Promise<unknown>)();
      if (!isSection(out)) throw new Error(`${file}: ${name}() did not return {title, markdown, figures}`);
      sections.push({ module: basename(file, '.js'), section: out, seconds: (performance.now() - t0) / 1000 });
    }
  }
  const env = { generatedAt: new Date().toISOString(), node: process.version, platform: `${process.platform}/${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' };
  const dir = join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const md = [
    '# clusterd benchmarks',
    '',
    `${env.generatedAt} · Node ${env.node} · ${env.platform} · ${env.cpus} × ${env.cpuModel}`,
    '',
    ...sections.flatMap((s) => [`## ${s.section.title}`, '', s.section.markdown, '', `_(${s.seconds.toFixed(1)} s)_`, '']),
  ].join('\n');
  writeFileSync(join(dir, 'report.md'), md);
  writeFileSync(join(dir, 'report.json'), JSON.stringify({ ...env, sections: sections.map((s) => ({ module: s.module, title: s.section.title, seconds: Number(s.seconds.toFixed(2)), figures: s.section.figures })) }, null, 2) + '\n');
  process.stdout.write(md + '\n');
  process.stderr.write(`bench: wrote ${join(dir, 'report.md')} and report.json\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
