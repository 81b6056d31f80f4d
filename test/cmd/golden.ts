/** Golden files under test/cmd/testdata/: compared byte for byte; UPDATE_GOLDEN=1 rewrites them (then review the diff). */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../lib/paths.js';

export function assertGolden(name: string, actual: string): void {
  const file = join(repoRoot(), 'test', 'cmd', 'testdata', name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  assert.ok(existsSync(file), `golden file ${file} is missing: run the test once with UPDATE_GOLDEN=1 and review it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from ${file} (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}
