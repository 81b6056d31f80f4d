/**
 * The README's five-minute walkthrough, as a newcomer types it, against `clusterd run` and the real kubectl:
 * create a 3+3 cluster and watch it with `describe --watch`, scale it, upgrade it while `rollout status` follows,
 * restart the daemon in the same shell (KUBECONFIG exported), delete the cluster. The daemon's JSON logs of the
 * whole run never carry a key twice.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { DEFAULT_KUBERNETES_VERSION } from '../../bootstrap/constants.js';
import { SUPPORTED_MINORS } from '../../bootstrap/flags.js';
import { ensureDead, freePort, spawnClusterd, type Daemon } from '../support/clusterd-process.js';
import { eventually } from '../support/eventually.js';
import { runCli, startCli, type CliRun } from '../support/cli-process.js';
import { duplicateKeys } from '../support/json-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'clusterd-walkthrough-'));
const daemons: Daemon[] = [];
const watches: CliRun[] = [];
after(async () => {
  for (const w of watches) w.kill('SIGKILL');
  await Promise.all(daemons.map(ensureDead));
  rmSync(dir, { recursive: true, force: true });
});

/** The upgrade the README shows: from the newest minor but one to the default version (or the newest minor). */
function versions(): { from: string; to: string } {
  const minors = [...SUPPORTED_MINORS].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  const newest = minors.at(-1)!;
  const to = DEFAULT_KUBERNETES_VERSION.startsWith(`v${newest}.`) ? DEFAULT_KUBERNETES_VERSION : `v${newest}.0`;
  return { from: `v${minors.at(-2)!}.0`, to };
}

test('the README walkthrough: create 3+3, watch, scale, upgrade with rollout status, restart make run, delete', { timeout: 600_000 }, async () => {
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const runArgs = ['run', '--data-dir', dataDir, '--apiserver-port', String(port), '--metrics-bind-address', '0', '--health-probe-bind-address', '0'];
  let daemon = spawnClusterd(runArgs);
  daemons.push(daemon);
  await eventually('the banner', () => daemon.output().includes('export KUBECONFIG='), 60_000);
  const kubeconfig = /export KUBECONFIG=(\S+)/.exec(daemon.output())![1]!;
  const env = { KUBECONFIG: kubeconfig };
  const kubectl = async (...args: string[]): Promise<string> => (await promisify(execFile)('kubectl', args, { env: { ...process.env, ...env } })).stdout;
  const cli = async (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => runCli(args, { env });
  const { from, to } = versions();

  // Create: generate | kubectl apply, and watch it come up.
  const manifests = await cli('generate', 'cluster', 'demo', '--kubernetes-version', from, '--control-plane-machine-count', '3', '--worker-machine-count', '3');
  assert.equal(manifests.code, 0, manifests.stderr);
  const apply = execFile('kubectl', ['apply', '-f', '-'], { env: { ...process.env, ...env } });
  // Its own loopback range, so that other tests' (or a developer's own make run's) machines never share an address.
  assert.match(manifests.stdout, /infrastructure:\n {4}provider: inmemory\n {4}config: \{\}\n/);
  apply.stdin!.end(manifests.stdout.replace(/(infrastructure:\n {4}provider: inmemory\n {4}config: )\{\}/, '$1{addressRange: 127.61.0.0/24}'));
  assert.equal(await new Promise((r) => apply.on('close', r)), 0);
  const watch = startCli(['describe', 'cluster', 'demo', '--watch', '--interval', '1'], { env });
  watches.push(watch);
  const lastFrame = (): string => watch.output().split(/\n(?=NAME )/).at(-1) ?? '';
  await eventually('describe --watch shows a Ready cluster with its Machines grouped', () => {
    const f = lastFrame();
    return /^Cluster\/demo\s+True/m.test(f) && /ControlPlane - \S+ \(3\/3 ready\)\s+True/.test(f) && /└─3 Machines\.\.\.\s+True/.test(f) && (f.match(/3 Machines\.\.\.\s+True/g) ?? []).length === 2;
  }, 240_000, 500);
  assert.ok((watch.output().match(/^NAME /gm) ?? []).length >= 2, 'the watch printed the cluster as it changed');
  assert.match(watch.output(), /WaitingFor/, 'and showed what it was waiting for on the way');

  // Scale, followed by rollout status.
  await kubectl('scale', 'md', 'demo-workers', '--replicas=4');
  const scaled = await cli('rollout', 'status', 'md', 'demo-workers', '--timeout', '240');
  assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
  assert.match(scaled.stdout, /4 updated, 4 ready, 4 available of 4 desired\nmachinedeployment "demo-workers" successfully rolled out\n$/);

  // Upgrade: the control plane first, then the workers, each followed to the end.
  await kubectl('patch', 'cl', 'demo', '--type', 'merge', '-p', JSON.stringify({ spec: { controlPlane: { version: to } } }));
  const cp = await cli('rollout', 'status', 'cp', 'demo', '--timeout', '300');
  assert.equal(cp.code, 0, cp.stdout + cp.stderr);
  assert.ok(cp.stdout.split('\n').filter((l) => l.includes('(control plane):')).length >= 2, `progress was shown:\n${cp.stdout}`);
  assert.match(cp.stdout, new RegExp(`control plane of cluster "demo" successfully rolled out \\(${to.replace(/\./g, '\\.')}\\)`));
  await kubectl('patch', 'md', 'demo-workers', '--type', 'merge', '-p', JSON.stringify({ spec: { template: { spec: { version: to } } } }));
  const md = await cli('rollout', 'status', 'md', 'demo-workers', '--timeout', '300');
  assert.equal(md.code, 0, md.stdout + md.stderr);
  assert.match(md.stdout, /new machines have been updated|pending termination/, `progress was shown:\n${md.stdout}`);
  const history = await cli('rollout', 'history', 'md', 'demo-workers');
  assert.match(history.stdout, new RegExp(`^1 .* ${from.replace(/\./g, '\\.')}\n2 .* ${to.replace(/\./g, '\\.')}$`, 'm'));
  const machines = await kubectl('get', 'ma', '-o', 'jsonpath={range .items[*]}{.spec.version}{"\\n"}{end}');
  assert.deepEqual([...new Set(machines.trim().split('\n'))], [to], 'every Machine runs the new version');

  // Restart `make run` in the same shell: KUBECONFIG now names the daemon's own kubeconfig.
  daemon.child.kill('SIGTERM');
  assert.equal((await daemon.exited).code, 0);
  const before = daemon.output();
  daemon = spawnClusterd(runArgs, env);
  daemons.push(daemon);
  await eventually('the daemon back', () => daemon.output().includes('export KUBECONFIG='), 60_000);
  assert.match(daemon.output(), /this daemon's own: starting the embedded API server again/);
  await eventually('describe --watch through the restart', () => /^Cluster\/demo\s+True/m.test(lastFrame()) && !lastFrame().includes('cannot reach'), 120_000, 500);
  const after = await cli('describe', 'cluster', 'demo');
  assert.equal(after.code, 0, after.stderr);
  assert.match(after.stdout, /└─4 Machines\.\.\.\s+True/);

  // Delete: the watch sees it go.
  await kubectl('delete', 'cl', 'demo', '--wait=true', '--timeout=240s');
  await eventually('describe --watch ends when the cluster is gone', () => watch.output().includes('cluster "demo" in namespace "default" is gone (deleted)'), 60_000);
  assert.equal((await watch.result).code, 0);
  assert.equal((await kubectl('get', 'ma', '-o', 'name')).trim(), '');

  const lines = (before + daemon.output()).split('\n').filter((l) => l.startsWith('{'));
  assert.ok(lines.length > 50, `the daemon logged the lifecycle (${lines.length} lines)`);
  const twice = lines.filter((l) => duplicateKeys(l).length > 0);
  assert.deepEqual(twice, [], 'no log line carries a key twice');
});
