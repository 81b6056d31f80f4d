/**
 * The controller folders form no cycle: no controller folder (cluster, machine, machineset, machinedeployment, and
 * any added later) imports from a sibling's; what two of them need lives in controllers/shared/ or the runtime, and
 * shared/ imports no controller folder. Read from the TypeScript sources, so a new import fails here at once.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../lib/paths.js';

const CONTROLLERS = join(repoRoot(), 'controllers');
const SHARED = 'shared';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?(?:\*|\{[^}]*\})(?:\s+as\s+\w+)?\s*from\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1]!);
  return out;
}

/** The controller folder a path lies in (first segment below controllers/), or undefined outside it. */
function folderOf(path: string): string | undefined {
  const rel = relative(CONTROLLERS, path);
  if (rel.startsWith('..') || !rel.includes(sep)) return undefined;
  return rel.split(sep)[0];
}

/** Imports that cross from one controller folder into another (shared/ may be imported by all, and imports none). */
export function crossFolderImports(files: string[], read: (f: string) => string): string[] {
  const bad: string[] = [];
  for (const file of files) {
    const from = folderOf(file);
    if (!from) continue;
    for (const spec of importSpecifiers(read(file))) {
      if (!spec.startsWith('.')) continue;
      const to = folderOf(resolve(dirname(file), spec));
      if (to === undefined || to === from || to === SHARED) continue;
      bad.push(`${relative(repoRoot(), file)} imports ${spec} (controllers/${to}/)`);
    }
  }
  return bad;
}

describe('controller folders', () => {
  const files = tsFiles(CONTROLLERS);

  it('has the four controller folders and shared/ to look at', () => {
    const folders = new Set(files.map(folderOf).filter((f) => f !== undefined));
    for (const f of ['cluster', 'machine', 'machineset', 'machinedeployment', SHARED]) assert.ok(folders.has(f), `controllers/${f}/ has .ts files`);
  });

  it('no controller folder imports from a sibling controller folder', () => {
    assert.deepEqual(crossFolderImports(files, (f) => readFileSync(f, 'utf8')), []);
  });

  it('the check sees static, type-only, re-exported and dynamic imports', () => {
    const fake = (folder: string): string => join(CONTROLLERS, folder, 'x.ts');
    const sources: Record<string, string> = {
      [fake('machine')]: "import { a } from '../cluster/names.js';\nimport type { B } from '../shared/b.js';\nimport { c } from './c.js';",
      [fake('machineset')]: "export { d } from '../machinedeployment/hash.js';\nconst e = await import('../machine/e.js');",
      [fake('shared')]: "import type { F } from '../cluster/f.js';",
    };
    const bad = crossFolderImports(Object.keys(sources), (f) => sources[f]!);
    assert.equal(bad.length, 4, bad.join('\n'));
    assert.ok(bad.some((b) => b.includes('../cluster/names.js')));
    assert.ok(bad.some((b) => b.includes('../machinedeployment/hash.js')));
    assert.ok(bad.some((b) => b.includes('../machine/e.js')));
    assert.ok(bad.some((b) => b.includes('../cluster/f.js')));
  });
});
