/* eslint-disable no-control-regex -- these tests check the escape sequences a terminal receives */
/**
 * The client commands against a real API server over HTTPS (the embedded one, with clusterd's CRDs), run as child
 * processes the way a person runs them: output piped, or on a terminal (pty) for colour and progress redraws.
 * The test plays the controllers' part by writing status, so each state is exact.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import type { Cluster, MachineDeployment } from '../../api/v1alpha1/index.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../bootstrap/constants.js';
import { CLUSTER_GVK, MACHINEDEPLOYMENT_GVK } from '../../controllers/shared/gvk.js';
import { repoRoot } from '../../lib/paths.js';
import { Client } from '../../runtime/client.js';
import { createOrUpdate, loadManifests, waitForCRDsEstablished } from '../../runtime/install.js';
import type { KubeObject } from '../../runtime/types.js';
import { freePort } from '../support/clusterd-process.js';
import { eventually } from '../support/eventually.js';
import { runCli, startCli, stripAnsi } from '../support/cli-process.js';
import { demoTree } from './fixtures.js';
import { assertGolden } from './golden.js';

const run = promisify(execFile);
let server: RunningApiServer;
let client: Client;
const dir = mkdtempSync(join(tmpdir(), 'clusterd-cli-'));
const kubeconfig = join(dir, 'kubeconfig');
const kc = ['--kubeconfig', kubeconfig];

type Obj = KubeObject & { status?: Record<string, unknown> };

/** Creates an object and then its status, as the controllers would have written it. */
async function put(o: Obj): Promise<Obj> {
  const { status, ...rest } = structuredClone(o);
  delete (rest.metadata as { uid?: string }).uid;
  const created = await client.create(rest as Obj);
  if (status) return client.patchStatus(created, { status }, { type: 'merge' });
  return created;
}

before(async () => {
  server = await startApiServer({ port: 0 });
  writeFileSync(kubeconfig, server.adminKubeconfig(), { mode: 0o600 });
  client = new Client(server.kubeConfig());
  const crds = loadManifests(join(repoRoot(), 'crds')).filter((o) => o.kind === 'CustomResourceDefinition');
  await createOrUpdate(client, crds);
  await waitForCRDsEstablished(client, crds.map((c) => c.metadata.name!));
  // The fixture's objects, with owner references rewritten to the UIDs the server assigned.
  const t = demoTree();
  await put(t.cluster as unknown as Obj);
  const md = await put(t.machineDeployments[0] as unknown as Obj);
  const ms = t.machineSets[0]!;
  ms.metadata.ownerReferences = [{ ...ms.metadata.ownerReferences![0]!, uid: md.metadata.uid! }];
  const msCreated = await put(ms as unknown as Obj);
  for (const m of t.machines) {
    if (m.metadata.ownerReferences) m.metadata.ownerReferences = [{ ...m.metadata.ownerReferences[0]!, uid: msCreated.metadata.uid! }];
    await put(m as unknown as Obj);
  }
});

after(async () => {
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('describe cluster, piped: the tree in plain text, Machines grouped, exit 0', async () => {
  const r = await runCli(['describe', 'cluster', 'demo', ...kc]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /\u001b\[/, 'no escape sequences when piped');
  assert.match(r.stdout, /^NAME\s+READY\s+SEVERITY\s+REASON\s+SINCE\s+MESSAGE$/m);
  assert.match(r.stdout, /^Cluster\/demo\s+False\s+Info\s+NotReady/m);
  assert.match(r.stdout, /└─3 Machines\.\.\.\s+True.*See demo-workers-abc-11111, demo-workers-abc-22222, demo-workers-abc-33333$/m);
  assert.match(r.stdout, /Machine\/demo-gpu-0\s+False\s+Error\s+BootstrapFileSecretMissing/);
  const json = JSON.parse((await runCli(['describe', 'cluster', 'demo', ...kc, '-o', 'json'])).stdout) as { name: string };
  assert.equal(json.name, 'Cluster/demo');
});

test('describe cluster on a terminal: READY in colour, same layout', async () => {
  const r = await runCli(['describe', 'cluster', 'demo', ...kc], { tty: true });
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /\u001b\[32mTrue/, 'True in green');
  assert.match(r.stdout, /\u001b\[31mFalse/, 'an Error in red');
  const plain = await runCli(['describe', 'cluster', 'demo', ...kc, '--color', 'never'], { tty: true });
  assert.doesNotMatch(plain.stdout, /\u001b\[3\dm/, '--color never on a terminal');
  // The same table but for colour; SINCE may tick between the two runs, so durations and padding are set aside.
  const layout = (t: string): string => t.replace(/\r/g, '').replace(/\b\d+[dhms](\d+[hms])?\b/g, 'SINCE').replace(/ +/g, ' ');
  assert.equal(layout(stripAnsi(r.stdout)), layout(plain.stdout));
});

test('describe --watch on a terminal redraws in place as the cluster changes; piped, it prints each change once', async () => {
  const w = startCli(['describe', 'cluster', 'demo', ...kc, '--watch', '--interval', '0.3'], { tty: true });
  await eventually('first frame', () => w.output().includes('Cluster/demo'), 15_000);
  const cluster = await client.get<Cluster & KubeObject>(CLUSTER_GVK, { namespace: 'default', name: 'demo' });
  const conditions = cluster.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'True' as const, reason: 'Ready', message: '', severity: undefined } : c));
  await client.patchStatus(cluster, { status: { conditions } }, { type: 'merge' });
  await eventually('redrawn frame with Ready True', () => /\u001b\[H\u001b\[2J[^\u001b]*?(?:\u001b\[1m)?Cluster\/demo[^\n]*\u001b\[32mTrue/.test(w.output()), 15_000);
  assert.ok((w.output().match(/\u001b\[H\u001b\[2J/g) ?? []).length >= 2, 'the screen is cleared for each frame');
  assert.match(stripAnsi(w.output()), /Every 0\.3s, .* UTC; Ctrl-C to stop/);
  w.kill('SIGTERM');
  await w.result;

  const piped = startCli(['describe', 'cluster', 'demo', ...kc, '--watch', '--interval', '0.2']);
  await eventually('first snapshot', () => piped.output().includes('Cluster/demo'), 15_000);
  await new Promise((r) => setTimeout(r, 800));
  assert.equal((piped.output().match(/^NAME /gm) ?? []).length, 1, 'an unchanged tree is not printed again');
  await client.patchStatus(cluster, { status: { conditions: cluster.status!.conditions } }, { type: 'merge' });
  await eventually('second snapshot after the change', () => (piped.output().match(/^NAME /gm) ?? []).length === 2, 15_000);
  piped.kill('SIGINT');
  assert.equal((await piped.result).code, 0, 'Ctrl-C ends a watch with 0');
});

test('errors name the object and say what to do, with documented exit codes', async () => {
  const nf = await runCli(['describe', 'cluster', 'nope', ...kc]);
  assert.equal(nf.code, 3);
  assert.match(nf.stderr, /^error: cluster "nope" not found in namespace "default" \(list them with `kubectl get clusters -n default`, or pass -n NAMESPACE\)$/m);
  const nfNs = await runCli(['rollout', 'status', 'md', 'demo-workers', '-n', 'elsewhere', ...kc]);
  assert.equal(nfNs.code, 3);
  assert.match(nfNs.stderr, /machinedeployment "demo-workers" not found in namespace "elsewhere"/);

  const usage = await runCli(['rollout', 'status', 'deployment', 'x', ...kc]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /KIND "deployment": expected md \(a MachineDeployment\) or cp \(a Cluster's control plane\)/);
  const flag = await runCli(['describe', 'cluster', 'demo', '--bogus']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /unknown option '--bogus'/);
  const gen = await runCli(['generate', 'cluster', 'demo', '--control-plane-machine-count', '2']);
  assert.equal(gen.code, 2);
  assert.match(gen.stderr, /--control-plane-machine-count 2: must be 1, 3, 5 or 7/);

  // A kubeconfig whose server is down: a fast, clear failure (not a retry loop).
  const dead = join(dir, 'dead.kubeconfig');
  const port = await freePort();
  writeFileSync(dead, server.adminKubeconfig().replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`));
  const started = Date.now();
  const down = await runCli(['describe', 'cluster', 'demo'], { env: { KUBECONFIG: dead } });
  assert.equal(down.code, 4);
  assert.match(down.stderr, new RegExp(`the API server https://127.0.0.1:${port} \\(from KUBECONFIG=${dead}\\) does not answer: connect ECONNREFUSED`));
  assert.ok(Date.now() - started < 15_000, 'fails within seconds');

  // No kubeconfig at all and no embedded server's: say how to get one.
  const none = await runCli(['describe', 'cluster', 'demo', '--data-dir', join(dir, 'empty')]);
  assert.equal(none.code, 4);
  assert.match(none.stderr, /no management cluster: pass --kubeconfig FILE, set KUBECONFIG, or start `make run`/);

  const secret = await runCli(['get', 'kubeconfig', 'demo', ...kc]);
  assert.equal(secret.code, 3);
  assert.match(secret.stderr, /secret "demo-kubeconfig" not found in namespace "default": cluster "demo" has no kubeconfig yet/);
});

async function setMDStatus(status: Record<string, unknown>): Promise<void> {
  const md = await client.get<MachineDeployment & KubeObject>(MACHINEDEPLOYMENT_GVK, { namespace: 'default', name: 'demo-workers' });
  await client.patchStatus(md, { status: { observedGeneration: md.metadata.generation, ...status } }, { type: 'merge' });
}

test('rollout pause, resume and restart change the MachineDeployment as kubectl rollout does a Deployment', async () => {
  const p = await runCli(['rollout', 'pause', 'md', 'demo-workers', ...kc]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.stdout, 'machinedeployment.clusterd.dev/demo-workers paused\n');
  let md = await client.get<MachineDeployment & KubeObject>(MACHINEDEPLOYMENT_GVK, { namespace: 'default', name: 'demo-workers' });
  assert.equal(md.spec.paused, true);
  const again = await runCli(['rollout', 'pause', 'md', 'demo-workers', ...kc]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /machinedeployment "demo-workers" is already paused/);
  const restartPaused = await runCli(['rollout', 'restart', 'md', 'demo-workers', ...kc]);
  assert.equal(restartPaused.code, 1);
  assert.match(restartPaused.stderr, /is paused: resume it first with `clusterd rollout resume md demo-workers`/);
  assert.equal((await runCli(['rollout', 'resume', 'md', 'demo-workers', ...kc])).stdout, 'machinedeployment.clusterd.dev/demo-workers resumed\n');
  md = await client.get(MACHINEDEPLOYMENT_GVK, { namespace: 'default', name: 'demo-workers' });
  assert.equal(md.spec.paused, false);

  const before = Date.now() - 1000;
  const r = await runCli(['rollout', 'restart', 'md', 'demo-workers', ...kc]);
  assert.equal(r.code, 0, r.stderr);
  md = await client.get(MACHINEDEPLOYMENT_GVK, { namespace: 'default', name: 'demo-workers' });
  const stamp = md.spec.template.metadata?.annotations?.['clusterd.dev/restartedAt'];
  assert.ok(stamp && Date.parse(stamp) >= before, `restartedAt on the template: ${stamp}`);
  const cp = await runCli(['rollout', 'restart', 'cp', 'demo', ...kc]);
  assert.equal(cp.code, 0, cp.stderr);
  assert.equal(cp.stdout, 'cluster.clusterd.dev/demo (control plane) restarted\n');
  const cluster = await client.get<Cluster & KubeObject>(CLUSTER_GVK, { namespace: 'default', name: 'demo' });
  assert.ok(cluster.spec.controlPlane?.machineTemplate?.metadata?.annotations?.['clusterd.dev/restartedAt']);
});

test('rollout status follows progress to completion (exit 0), and fails on ProgressDeadlineExceeded (5) or --timeout (6)', async () => {
  await setMDStatus({ replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3, conditions: [] });
  const follow = startCli(['rollout', 'status', 'md', 'demo-workers', ...kc, '--interval', '0.2']);
  await eventually('first progress line', () => follow.output().includes('1 updated'), 15_000);
  await setMDStatus({ replicas: 4, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
  await eventually('second progress line', () => follow.output().includes('1 old machine is pending termination'), 15_000);
  await setMDStatus({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
  const done = await follow.result;
  assert.equal(done.code, 0, done.stderr);
  assertGolden('rollout-status-piped.txt', done.stdout);

  await setMDStatus({ replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'progress deadline of 600s exceeded', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z/, 'Z') }] });
  const failed = await runCli(['rollout', 'status', 'md', 'demo-workers', ...kc]);
  assert.equal(failed.code, 5);
  assert.match(failed.stdout, /error: machinedeployment "demo-workers" exceeded its progress deadline: progress deadline of 600s exceeded/);

  await setMDStatus({ conditions: [] });
  const t0 = Date.now();
  const timedOut = await runCli(['rollout', 'status', 'md', 'demo-workers', ...kc, '--timeout', '1', '--interval', '0.2']);
  assert.equal(timedOut.code, 6);
  assert.match(timedOut.stdout, /error: timed out after 1s waiting for machinedeployment.clusterd.dev\/demo-workers to roll out: 1 of 3 new machines have been updated/);
  assert.ok(Date.now() - t0 < 10_000);
});

test('rollout status on a terminal redraws one progress line in place', async () => {
  await setMDStatus({ replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3, conditions: [] });
  const follow = startCli(['rollout', 'status', 'md', 'demo-workers', ...kc, '--interval', '0.2'], { tty: true });
  await eventually('progress on the terminal', () => follow.output().includes('2 updated'), 15_000);
  await setMDStatus({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
  const r = await follow.result;
  assert.equal(r.code, 0, r.stdout);
  // Each redraw returns to the line's start and clears it; the elapsed time ticks while waiting.
  assert.match(r.stdout, /\r\u001b\[Kmachinedeployment\.clusterd\.dev\/demo-workers: 2 updated, 3 ready, 3 available of 3 desired - 2 of 3 new machines have been updated \[\d+s\]/);
  assert.match(r.stdout, /\r\u001b\[Kmachinedeployment\.clusterd\.dev\/demo-workers: 3 updated, 3 ready, 3 available of 3 desired\r?\nmachinedeployment "demo-workers" successfully rolled out/);

  const cluster = await client.get<Cluster & KubeObject>(CLUSTER_GVK, { namespace: 'default', name: 'demo' });
  await client.patchStatus(cluster, { status: { observedGeneration: cluster.metadata.generation, controlPlane: { replicas: 3, readyReplicas: 3, updatedReplicas: 3, version: 'v1.37.2' } } }, { type: 'merge' });
  const cp = await runCli(['rollout', 'status', 'cp', 'demo', ...kc]);
  assert.equal(cp.code, 0, cp.stderr);
  assert.match(cp.stdout, /control plane of cluster "demo" successfully rolled out \(v1\.37\.2\)/);
});

test('generate cluster prints manifests the API server accepts as they are', async () => {
  const r = await runCli(['generate', 'cluster', 'demo2', '--control-plane-machine-count', '3', '--worker-machine-count', '3', '--flavor', 'medium', '-n', 'default']);
  assert.equal(r.code, 0, r.stderr);
  // The default version is one constant (bootstrap/constants.ts); the golden file names it, not its value.
  assert.equal(r.stdout.split(DEFAULT_KUBERNETES_VERSION).length - 1, 3, 'the default version on the header, the control plane and the workers');
  assertGolden('generate-cluster.yaml', r.stdout.replaceAll(DEFAULT_KUBERNETES_VERSION, 'DEFAULT_KUBERNETES_VERSION'));
  const child = execFile('kubectl', ['apply', '--dry-run=server', '-f', '-'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
  child.stdin!.end(r.stdout);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  assert.equal(code, 0, out);
  assert.match(out, /cluster\.clusterd\.dev\/demo2 created \(server dry run\)/);
  assert.match(out, /machinedeployment\.clusterd\.dev\/demo2-workers created \(server dry run\)/);
  const bad = await runCli(['generate', 'cluster', 'demo2', '--kubernetes-version', 'v1.20.0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--kubernetes-version v1\.20\.0: clusterd supports v1\.\d+ to v1\.\d+/);
});

test('version, --help examples, and bash completion from the command tree', async () => {
  const v = JSON.parse((await runCli(['version', '-o', 'json'])).stdout) as { clusterdVersion: string; supportedKubernetesMinors: string[]; defaultKubernetesVersion: string };
  assert.match(v.clusterdVersion, /^\d+\.\d+\.\d+/);
  assert.ok(v.supportedKubernetesMinors.includes(v.defaultKubernetesVersion.replace(/\.\d+$/, '')));
  for (const cmd of [['run'], ['describe', 'cluster'], ['rollout', 'status'], ['rollout', 'restart'], ['rollout', 'pause'], ['rollout', 'resume'], ['rollout', 'undo'], ['rollout', 'history'], ['generate', 'cluster'], ['get', 'kubeconfig'], ['version'], ['completion']]) {
    const h = await runCli([...cmd, '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Examples:\n {2}\S/, `clusterd ${cmd.join(' ')} --help has examples`);
  }
  const script = (await runCli(['completion', 'bash'])).stdout;
  const complete = async (line: string[]): Promise<string> => {
    const { stdout } = await run('bash', ['-c', `${script}\nCOMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${line.length - 1}; _clusterd; echo "\${COMPREPLY[@]}"`]);
    return stdout.trim();
  };
  assert.equal(await complete(['clusterd', 'desc']), 'describe');
  assert.deepEqual((await complete(['clusterd', 'rollout', 'r'])).split(' ').sort(), ['restart', 'resume']);
  assert.match(await complete(['clusterd', 'describe', 'cluster', 'demo', '--sh']), /^--show-conditions$/);
});
