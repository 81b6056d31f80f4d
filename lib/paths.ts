import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The repository root: the nearest folder above this module whose package.json is clusterd's.
 * Compiled code lives in dist/ (or a per-developer .build/ folder), so static assets such as
 * crds/ and examples/ are found from here rather than from the working directory.
 */
export function repoRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'clusterd') {
          cached = dir;
          return dir;
        }
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the clusterd repository root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Path of the compiled CLI entry point, for tests and helpers that spawn `clusterd`. */
export function cliPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'cmd', 'clusterd.js');
}
