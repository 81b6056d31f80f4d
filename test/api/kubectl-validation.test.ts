/**
 * Issue 2's "Done when": the real kubectl applies the quickstart against the embedded API server, shows the
 * printer columns, and gets invalid manifests rejected with messages that name the field.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { repoRoot } from '../../lib/paths.js';

let server: RunningApiServer;
let dir: string;
let kubeconfig: string;

/** The real kubectl, run asynchronously: the API server under test lives in this process's event loop. */
function kubectl(args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    child.stdin.end(input ?? '');
  });
}

before(async () => {
  server = await startApiServer({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'clusterd-validation-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.adminKubeconfig(), { mode: 0o600 });
  const crds = await kubectl(['apply', '-f', join(repoRoot(), 'crds')]);
  assert.equal(crds.code, 0, crds.err);
  const est = await kubectl(['wait', '--for=condition=established', '--timeout=30s', 'crd', 'clusters.clusterd.dev', 'machines.clusterd.dev', 'machinesets.clusterd.dev', 'machinedeployments.clusterd.dev']);
  assert.equal(est.code, 0, est.err);
});

after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the quickstart applies unchanged and kubectl get shows the printer columns', async () => {
  const applied = await kubectl(['apply', '-f', join(repoRoot(), 'examples', 'quickstart.yaml')]);
  assert.equal(applied.code, 0, applied.err);
  assert.match(applied.out, /cluster\.clusterd\.dev\/demo created/);
  const cl = await kubectl(['get', 'cl']);
  assert.equal(cl.code, 0, cl.err);
  assert.match(cl.out.split('\n')[0]!, /^NAME\s+PHASE\s+CONTROL PLANE\s+VERSION\s+ENDPOINT\s+AGE/);
  assert.match(cl.out, /demo\s+.*v1\.37\.2/);
  const md = await kubectl(['get', 'md']);
  assert.match(md.out.split('\n')[0]!, /^NAME\s+CLUSTER\s+REPLICAS\s+READY\s+UPDATED\s+UNAVAILABLE\s+PHASE\s+AGE\s+VERSION/);
  assert.match(md.out, /demo-workers\s+demo\s+3\s/);
  const byCategory = await kubectl(['get', 'clusterd']);
  assert.match(byCategory.out, /cluster\.clusterd\.dev\/demo/);
  assert.match(byCategory.out, /machinedeployment\.clusterd\.dev\/demo-workers/);
});

const md = (name: string, patch: string): string => `
apiVersion: clusterd.dev/v1alpha1
kind: MachineDeployment
metadata: {name: ${name}, namespace: default}
spec:
  clusterName: demo
  selector: {matchLabels: {pool: p}}
  template:
    metadata: {labels: {pool: p}}
    spec: {clusterName: demo, version: v1.37.2}
${patch}`;

const cluster = (name: string, cp: string): string => `
apiVersion: clusterd.dev/v1alpha1
kind: Cluster
metadata: {name: ${name}, namespace: default}
spec:
  infrastructure: {provider: inmemory}
  controlPlane: ${cp}
`;

const cases: { what: string; manifest: string; message: RegExp }[] = [
  {
    what: 'negative replicas',
    manifest: md('neg', '  replicas: -1'),
    message: /spec\.replicas: Invalid value: -1: spec\.replicas in body should be greater than or equal to 0/,
  },
  {
    what: 'a version without the v and patch',
    manifest: cluster('badversion', '{replicas: 1, version: "1.30"}'),
    message: /spec\.controlPlane\.version: Invalid value: "1\.30": spec\.controlPlane\.version in body should match/,
  },
  {
    what: 'a well-formed version of an unsupported minor',
    manifest: cluster('oldversion', '{replicas: 1, version: v1.33.4}'),
    message: /spec\.controlPlane\.version: Invalid value: "v1\.33\.4": spec\.controlPlane\.version in body should match '\^v1\\\.\(34\|35\|36\|37\)/,
  },
  {
    what: 'a worker Machine version of an unsupported minor',
    manifest: md('oldworker', '').replace('version: v1.37.2', 'version: v1.38.0'),
    message: /spec\.template\.spec\.version: Invalid value: "v1\.38\.0"/,
  },
  {
    what: 'an even number of control-plane machines',
    manifest: cluster('even', '{replicas: 2, version: v1.37.2}'),
    message: /spec\.controlPlane\.replicas: Unsupported value: 2: supported values: "1", "3", "5", "7"/,
  },
  {
    what: 'an unknown strategy type',
    manifest: md('strategy', '  strategy: {type: Recreate}'),
    message: /spec\.strategy\.type: Unsupported value: "Recreate": supported values: "RollingUpdate", "OnDelete"/,
  },
];

for (const c of cases) {
  test(`kubectl apply rejects ${c.what} with a message that names the field`, async () => {
    const r = await kubectl(['apply', '-f', '-'], c.manifest);
    assert.notEqual(r.code, 0, `accepted: ${r.out}`);
    assert.match(r.err, c.message);
    // nothing half-written: the object does not exist
    const name = /name: (\w+)/.exec(c.manifest)![1]!;
    const kind = c.manifest.includes('kind: Cluster') ? 'cl' : 'md';
    const get = await kubectl(['get', kind, name]);
    assert.notEqual(get.code, 0);
    assert.match(get.err, /NotFound|not found/);
  });
}
