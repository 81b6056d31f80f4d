/**
 * The docs keep up with the code: every condition and Event reason the controllers (and the providers' failures,
 * which become condition reasons) can set is explained in docs/troubleshooting.md, and docs/api-reference.md is
 * what the schemas generate.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { renderApiReference } from '../../api/reference.js';
import { repoRoot } from '../../lib/paths.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Statuses, severities and Event types: words in the same calls that are not reasons. */
const NOT_REASONS = new Set(['True', 'False', 'Unknown', 'Error', 'Warning', 'Info', 'Normal']);
const literals = (s: string): string[] => [...s.matchAll(/'([A-Z][A-Za-z]+)'/g)].map((m) => m[1]!).filter((w) => !NOT_REASONS.has(w));

/** Reason → where the code sets it, found the way a reader would find them. */
export function reasonsInCode(): Map<string, string[]> {
  const root = repoRoot();
  const found = new Map<string, string[]>();
  const add = (r: string, where: string): void => void found.set(r, [...(found.get(r) ?? []), where]);
  for (const file of tsFiles(join(root, 'controllers'))) {
    const text = readFileSync(file, 'utf8');
    const at = (i: number): string => `${relative(root, file)}:${text.slice(0, i).split('\n').length}`;
    // A condition's reason: `reason: 'X'` (or a union of them), or the literal in a cond(...)/condition(...) call.
    for (const m of text.matchAll(/reason\??: ('[A-Z][A-Za-z]+'(?: \| '[A-Z][A-Za-z]+')*)/g)) for (const r of literals(m[1]!)) add(r, at(m.index));
    for (const m of text.matchAll(/reason: [^,\n]*\? '[A-Z][A-Za-z]+' : '[A-Z][A-Za-z]+'/g)) for (const r of literals(m[0])) add(r, at(m.index));
    // Messages may hold anything (a ';' too): template literals blanked, keeping their newlines for line numbers.
    const code = text.replace(/`[^`]*`/g, (t) => '``'.padEnd(2 + (t.split('\n').length - 1), '\n'));
    for (const m of code.matchAll(/\bcond(?:ition)?\(([^;]*?)\);/gs)) {
      // cond(Type, 'Status', 'Reason', ...) and condition(prev, Type, Status, now, 'Reason', ...): the literals after the status.
      const args = m[1]!;
      for (const r of literals(args)) if (!/^(Ready|ReplicaFailure)$/.test(r) || !args.includes(`'${r}', `)) add(r, at(m.index));
    }
    for (const m of text.matchAll(/\?\? '([A-Z][A-Za-z]+)'/g)) if (/reason/.test(text.slice(Math.max(0, m.index - 40), m.index))) add(m[1]!, at(m.index));
    // Named reason tables such as ProgressReasons = { ...: 'X' }.
    for (const m of text.matchAll(/Reasons = \{([^}]*)\}/g)) for (const r of literals(m[1]!)) add(r, at(m.index));
    // Events: recorder.event(obj, 'Normal' | 'Warning', REASON, message).
    for (const m of text.matchAll(/\.event\([^,]+, '(?:Normal|Warning)', ([^\n]*)/g)) {
      const reasonArg = m[1]!.split(/, [`'$]/)[0]!.replace(/`[^`]*`/g, '');
      for (const r of literals(reasonArg.includes('?') ? reasonArg : reasonArg.split(',')[0]!)) add(r, at(m.index));
    }
  }
  // A provider's failure reason becomes the Machine's (or Cluster's) InfrastructureReady and Ready reason.
  for (const file of tsFiles(join(root, 'providers'))) {
    const text = readFileSync(file, 'utf8');
    const at = (i: number): string => `${relative(root, file)}:${text.slice(0, i).split('\n').length}`;
    for (const m of text.matchAll(/\bfailed\((?:[^,]*\?\? )?'([A-Z][A-Za-z]+)'/g)) add(m[1]!, at(m.index));
    for (const m of text.matchAll(/status: 'failed', reason: '([A-Z][A-Za-z]+)'/g)) add(m[1]!, at(m.index));
  }
  return found;
}

test('every reason the controllers set is explained in docs/troubleshooting.md', () => {
  const page = readFileSync(join(repoRoot(), 'docs', 'troubleshooting.md'), 'utf8');
  const reasons = reasonsInCode();
  // The extraction itself is checked against reasons known to be set, so that it cannot quietly find nothing.
  for (const known of ['WaitingForNode', 'ProgressDeadlineExceeded', 'BootstrapFileSecretMissing', 'MinimumReplicasUnavailable', 'WaitingForMachines', 'ScalingMachineSetUp', 'ControlPlaneVersionBehind', 'InvalidUserData', 'InstanceFailed', 'InvalidConfiguration']) {
    assert.ok(reasons.has(known), `the extraction misses ${known}`);
  }
  const missing = [...reasons].filter(([r]) => !page.includes(`\`${r}\``)).map(([r, where]) => `${r} (${where[0]})`);
  assert.deepEqual(missing, [], `docs/troubleshooting.md does not explain these reasons:\n  ${missing.join('\n  ')}`);
});

test('docs/api-reference.md is generated from the schemas (make generate)', () => {
  assert.equal(readFileSync(join(repoRoot(), 'docs', 'api-reference.md'), 'utf8'), renderApiReference(), 'docs/api-reference.md is stale: run make generate');
});

test('the docs a newcomer is pointed at exist, and README links them', () => {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  for (const page of ['architecture.md', 'api-reference.md', 'providers.md', 'operations.md', 'troubleshooting.md', 'cli.md']) {
    assert.ok(readme.includes(`docs/${page}`), `README does not link docs/${page}`);
    assert.ok(readFileSync(join(repoRoot(), 'docs', page), 'utf8').length > 500, `docs/${page} is missing or empty`);
  }
  assert.match(readFileSync(join(repoRoot(), 'docs', 'architecture.md'), 'utf8'), /```mermaid\n/, 'the data-flow picture renders on GitHub');
});
