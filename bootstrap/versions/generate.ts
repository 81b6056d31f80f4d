/**
 * Regenerates the committed version tables (see tables.ts) from what this machine has:
 *
 *   node dist/bootstrap/versions/generate.js            write every table whose source is present
 *   node dist/bootstrap/versions/generate.js --check    exit 1 when a regenerated table differs from the committed one
 *
 * Flag tables need the binaries of tools/kube/build.sh (`make kube`); component versions need the pinned
 * k8s.io/kubernetes module in the Go module cache (build.sh downloads it). A version whose source is missing is
 * reported and skipped here; the drift test is the one that insists on them in CI.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { minorOf } from '../../lib/version.js';
import { componentsFile, componentsFromModule, flagsFile, flagTableFromBinaries, pinnedVersions, tableText } from './tables.js';

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const only = argv.filter((a) => /^v\d+\.\d+\.\d+$/.test(a));
  const versions = only.length > 0 ? only : pinnedVersions();
  let drift = 0;
  const emit = (path: string, text: string, what: string): void => {
    const old = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (old === text) {
      console.log(`${what}: up to date (${path})`);
      return;
    }
    if (check) {
      drift++;
      console.error(`${what}: ${path} differs from what the sources give; run node dist/bootstrap/versions/generate.js`);
      return;
    }
    writeFileSync(path, text);
    console.log(`${what}: wrote ${path}`);
  };
  for (const v of versions) {
    const minor = minorOf(v)!;
    const flags = flagTableFromBinaries(v);
    if (flags) emit(flagsFile(minor), tableText(flags), `flags ${v}`);
    else console.log(`flags ${v}: binaries not built (make kube); skipped`);
    const comps = componentsFromModule(v);
    if (comps) emit(componentsFile(minor), tableText(comps), `components ${v}`);
    else console.log(`components ${v}: k8s.io/kubernetes@${v} is not in the Go module cache; skipped`);
  }
  return drift > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
