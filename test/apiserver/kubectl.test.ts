/**
 * End to end with the real kubectl against a freshly started `clusterd apiserver` process: every command the
 * issue lists, on built-in and custom resources, then the durability check across kill -9.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { after, before, test } from 'node:test';
import { newCsr, newPrivateKey } from '../../lib/pki.js';
import { kubectlMinor, toServer } from '../support/kubectl-version.js';
import { eventually, kubectlRunner, spawnApiServer, tempDir, WIDGET_CRD, type ApiServerProcess } from './helpers.js';

const dir = tempDir('apiserver-kubectl-');
const dataDir = join(dir.path, 'data');
const kubeconfig = join(dir.path, 'kubeconfig');
const k = kubectlRunner(kubeconfig, join(dir.path, 'cache'));
let server: ApiServerProcess;

async function ok(args: string[], input?: string, env?: Record<string, string>): Promise<string> {
  const r = await k(args, { input, env });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const widget = (name: string, replicas: number, extra = ''): string =>
  `apiVersion: test.clusterd.dev/v1\nkind: Widget\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  replicas: ${replicas}\n  color: red\n${extra}`;

before(async () => {
  server = await spawnApiServer(dataDir, kubeconfig);
});

after(async () => {
  await server?.stop('SIGKILL');
  dir.remove();
});

test('CRD apply, wait for Established, discovery by short name and category', async () => {
  await ok(['apply', '-f', '-'], WIDGET_CRD);
  await ok(['wait', '--for', 'condition=established', '--timeout=10s', 'crd/widgets.test.clusterd.dev']);
  assert.match(await ok(['api-resources', '--api-group', 'test.clusterd.dev']), /widgets\s+wd\s+test\.clusterd\.dev\/v1\s+true\s+Widget/);
  assert.match(await ok(['get', 'crd']), /widgets\.test\.clusterd\.dev/);
  assert.equal((await ok(['auth', 'can-i', 'create', 'widgets'])).trim(), 'yes');
});

test('apply, get (Table columns), describe and explain a custom resource', async () => {
  assert.match(await ok(['apply', '-f', '-'], widget('w1', 2)), /widget.test.clusterd.dev\/w1 created/);
  const table = await ok(['get', 'wd']);
  assert.match(table, /NAME\s+REPLICAS\s+COLOR\s+AGE/);
  assert.match(table, /w1\s+2\s+red/);
  assert.match(await ok(['get', 'clusterd']), /w1/);
  const obj = JSON.parse(await ok(['get', 'widget', 'w1', '-o', 'json'])) as { metadata: { generation: number; uid: string }; spec: { replicas: number } };
  assert.equal(obj.metadata.generation, 1);
  assert.equal(obj.spec.replicas, 2);
  assert.match(await ok(['describe', 'wd', 'w1']), /Name:\s+w1[\s\S]*Color:\s+red/);
  // Re-applying the same manifest is a no-op; changing it bumps generation.
  assert.match(await ok(['apply', '-f', '-'], widget('w1', 2)), /unchanged/);
  await ok(['apply', '-f', '-'], widget('w1', 4));
  assert.equal(JSON.parse(await ok(['get', 'wd', 'w1', '-o', 'json'])).metadata.generation, 2);
  assert.match(await ok(['explain', 'widgets.spec']), /replicas[\s\S]*How many widgets/);
});

test('an invalid custom resource gets the 422 message naming the field', async () => {
  const r = await k(['apply', ...toServer(), '-f', '-'], { input: widget('bad', -1) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /spec\.replicas: Invalid value: -1: spec\.replicas in body should be greater than or equal to 0/);
  // An unknown field: kubectl from 1.25 has the server reject it (Strict); before, kubectl rejects it itself from
  // /openapi/v2, which the server must serve in protobuf for that.
  const unknown = await k(['apply', '-f', '-'], { input: widget('bad2', 1, '  foo: bar\n') });
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, kubectlMinor() >= 25 ? /unknown field "spec\.foo"/ : /ValidationError\(Widget\.spec\): unknown field "foo"/);
  // Without a fieldValidation choice (kubectl before 1.25 sends none) the server warns, as kube-apiserver does.
  const warned = await k(['apply', kubectlMinor() >= 25 ? '--validate=warn' : '--validate=false', '-f', '-'], { input: widget('warned', 1, '  foo: bar\n') });
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, /Warning: unknown field "spec\.foo"/);
  assert.equal(JSON.parse(await ok(['get', 'wd', 'warned', '-o', 'json'])).spec.foo, undefined, 'unknown fields are pruned');
  await ok(['delete', 'wd', 'warned']);
  const typoCm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\ndatta:\n  a: b\n';
  const typo = kubectlMinor() >= 25
    ? await k(['apply', '-f', '-'], { input: typoCm })
    : await k(['create', '--raw', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', '-f', '-'], { input: JSON.stringify(yaml.load(typoCm)) });
  assert.notEqual(typo.code, 0);
  assert.match(typo.stderr, /unknown field "datta"/);
  assert.match(await ok(['create', 'configmap', 'dry', '--dry-run=server']), /created \(server dry run\)/);
  assert.notEqual((await k(['get', 'cm', 'dry'])).code, 0, 'a dry run persists nothing');
  const defaulted = await ok(['create', '-f', '-', '-o', 'json'], 'apiVersion: test.clusterd.dev/v1\nkind: Widget\nmetadata:\n  name: dflt\nspec:\n  color: blue\n');
  assert.equal(JSON.parse(defaulted).spec.replicas, 1);
});

test('create, replace, and json/merge/strategic patches on built-in and custom resources', async () => {
  await ok(['create', 'configmap', 'cm1', '--from-literal=a=1']);
  const cm = JSON.parse(await ok(['get', 'cm', 'cm1', '-o', 'json']));
  cm.data.b = '2';
  await ok(['replace', '-f', '-'], JSON.stringify(cm));
  await ok(['patch', 'cm', 'cm1', '--type=json', '-p', '[{"op":"add","path":"/data/c","value":"3"}]']);
  await ok(['patch', 'cm', 'cm1', '--type=merge', '-p', '{"data":{"d":"4"}}']);
  await ok(['patch', 'cm', 'cm1', '--type=strategic', '-p', '{"data":{"e":"5"}}']);
  assert.deepEqual(JSON.parse(await ok(['get', 'cm', 'cm1', '-o', 'json'])).data, { a: '1', b: '2', c: '3', d: '4', e: '5' });
  await ok(['patch', 'wd', 'w1', '--type=merge', '-p', '{"spec":{"color":"green"}}']);
  await ok(['patch', 'wd', 'w1', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":5}]']);
  const w = JSON.parse(await ok(['get', 'wd', 'w1', '-o', 'json']));
  assert.equal(w.spec.color, 'green');
  assert.equal(w.spec.replicas, 5);
  const smp = await k(['patch', 'wd', 'w1', '--type=strategic', '-p', '{"spec":{"color":"blue"}}']);
  assert.notEqual(smp.code, 0);
  assert.match(smp.stderr, /UnsupportedMediaType|unknown format|not supported/i);
  const enumErr = await k(['patch', 'wd', 'w1', '--type=merge', '-p', '{"spec":{"color":"pink"}}']);
  assert.match(enumErr.stderr, /spec\.color: Unsupported value: "pink"/);
});

test('server-side apply with field managers and conflicts', async () => {
  await ok(['apply', '--server-side', '--field-manager=alice', '-f', '-'], widget('ssa', 1));
  const conflict = await k(['apply', '--server-side', '--field-manager=bob', '-f', '-'], { input: widget('ssa', 2) });
  assert.notEqual(conflict.code, 0);
  assert.match(conflict.stderr, /conflict/i);
  await ok(['apply', '--server-side', '--field-manager=bob', '--force-conflicts', '-f', '-'], widget('ssa', 2));
  assert.equal(JSON.parse(await ok(['get', 'wd', 'ssa', '-o', 'json'])).spec.replicas, 2);
  await ok(['delete', 'wd', 'ssa']);
});

test('edit with EDITOR, scale, label, annotate', async () => {
  const editor = join(dir.path, 'editor.sh');
  writeFileSync(editor, '#!/bin/sh\nsed -i "s/color: green/color: blue/" "$1"\n');
  chmodSync(editor, 0o755);
  await ok(['edit', 'wd', 'w1'], undefined, { EDITOR: editor, KUBE_EDITOR: editor });
  assert.equal(JSON.parse(await ok(['get', 'wd', 'w1', '-o', 'json'])).spec.color, 'blue');
  const cmEditor = join(dir.path, 'cm-editor.sh');
  writeFileSync(cmEditor, '#!/bin/sh\nsed -i \'s/a: "1"/a: "9"/\' "$1"\n');
  chmodSync(cmEditor, 0o755);
  await ok(['edit', 'cm', 'cm1'], undefined, { KUBE_EDITOR: cmEditor });
  assert.equal(JSON.parse(await ok(['get', 'cm', 'cm1', '-o', 'json'])).data.a, '9');
  assert.match(await ok(['describe', 'cm', 'cm1']), /Name:\s+cm1[\s\S]*Data/);
  assert.match(await ok(['scale', 'wd', 'w1', '--replicas=3']), /scaled/);
  assert.equal(JSON.parse(await ok(['get', 'wd', 'w1', '-o', 'json'])).spec.replicas, 3);
  assert.equal(JSON.parse(await ok(['get', '--raw', '/apis/test.clusterd.dev/v1/namespaces/default/widgets/w1/scale'])).spec.replicas, 3);
  await ok(['label', 'wd', 'w1', 'tier=gold']);
  await ok(['annotate', 'cm', 'cm1', 'note=hello']);
  assert.match(await ok(['get', 'wd', '-l', 'tier=gold', '-o', 'name']), /widget.test.clusterd.dev\/w1/);
  assert.equal(await ok(['get', 'wd', '-l', 'tier!=gold', '-o', 'name']), 'widget.test.clusterd.dev/dflt\n');
  assert.equal(JSON.parse(await ok(['get', 'cm', 'cm1', '-o', 'json'])).metadata.annotations.note, 'hello');
});

test('get -w streams changes as table rows', async () => {
  const p = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir.path, 'cache'), 'get', 'wd', '-w'], { env: { ...process.env, HOME: dir.path } });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await eventually(async () => out.includes('w1'), 10_000, 'initial rows');
    await ok(['label', 'wd', 'w1', 'watched=yes']);
    await ok(['apply', '-f', '-'], widget('w2', 7));
    await eventually(async () => /w2\s+7/.test(out), 10_000, 'the new widget on the watch');
  } finally {
    p.kill();
  }
});

/**
 * `kubectl wait --for=delete`; kubectl before 1.23 reports an object that is already gone as an error ("no
 * matching resources found") where later ones count it as deleted.
 */
async function waitDeleted(ref: string): Promise<void> {
  const r = await k(['wait', '--for=delete', ref, '--timeout=10s']);
  if (r.code !== 0 && !(kubectlMinor() < 23 && /no matching resources found/.test(r.stderr))) assert.fail(`kubectl wait --for=delete ${ref}: ${r.stderr}`);
  assert.match((await k(['get', ref])).stderr, /NotFound|not found/);
}

test('delete with background, orphan and foreground cascades, and wait --for=delete', async () => {
  const owner = async (name: string): Promise<string> => JSON.parse(await ok(['create', 'configmap', name, '-o', 'json'])).metadata.uid;
  const dependent = (name: string, ownerName: string, uid: string, finalizer = false): string =>
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(finalizer ? { finalizers: ['test.clusterd.dev/hold'] } : {}), ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: ownerName, uid, blockOwnerDeletion: true }] } });

  await ok(['create', '-f', '-'], dependent('bg-child', 'bg-owner', await owner('bg-owner')));
  await ok(['delete', 'cm', 'bg-owner', '--cascade=background']);
  await waitDeleted('cm/bg-child');

  await ok(['create', '-f', '-'], dependent('or-child', 'or-owner', await owner('or-owner')));
  await ok(['delete', 'cm', 'or-owner', '--cascade=orphan']);
  await waitDeleted('cm/or-owner');
  const orphan = JSON.parse(await ok(['get', 'cm', 'or-child', '-o', 'json']));
  assert.equal(orphan.metadata.ownerReferences, undefined);

  await ok(['create', '-f', '-'], dependent('fg-child', 'fg-owner', await owner('fg-owner'), true));
  await ok(['delete', 'cm', 'fg-owner', '--cascade=foreground', '--wait=false']);
  const waiting = JSON.parse(await ok(['get', 'cm', 'fg-owner', '-o', 'json']));
  assert.ok(waiting.metadata.deletionTimestamp);
  assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);
  await eventually(async () => JSON.parse(await ok(['get', 'cm', 'fg-child', '-o', 'json'])).metadata.deletionTimestamp, 5000, 'child marked');
  await ok(['patch', 'cm', 'fg-child', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await waitDeleted('cm/fg-owner');

  await ok(['delete', 'wd', 'w2']);
  assert.match((await k(['get', 'wd', 'w2'])).stderr, /NotFound|not found/);
});

test('CSR approval, Node status and describe node', async () => {
  const csr = newCsr(newPrivateKey(), 'system:node:n1', ['system:nodes']);
  await ok(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'node-csr-Ab_1' },
    spec: { request: Buffer.from(csr).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'key encipherment', 'client auth'] },
  }));
  await ok(['certificate', 'approve', 'node-csr-Ab_1']);
  const approved = JSON.parse(await ok(['get', 'csr', 'node-csr-Ab_1', '-o', 'json']));
  assert.equal(approved.spec.username, 'kubernetes-admin');
  assert.equal(approved.status.conditions[0].type, 'Approved');
  assert.ok(approved.status.conditions[0].lastTransitionTime);
  await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }));
  const status = { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: '2024-01-01T00:00:00Z', lastTransitionTime: '2024-01-01T00:00:00Z' }] } };
  if (kubectlMinor() >= 24) await ok(['patch', 'node', 'n1', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
  else {
    // No --subresource before kubectl 1.24: replace the status subresource through --raw instead.
    const node = JSON.parse(await ok(['get', 'node', 'n1', '-o', 'json']));
    await ok(['replace', '--raw', '/api/v1/nodes/n1/status', '-f', '-'], JSON.stringify({ ...node, ...status }));
  }
  await ok(['wait', '--for=condition=Ready', 'node/n1', '--timeout=10s']);
  assert.match(await ok(['get', 'nodes']), /n1\s+Ready/);
  assert.match(await ok(['describe', 'node', 'n1']), /Ready\s+True[\s\S]*KubeletReady/);
});

test('namespaces: contents go with them; CRD deletion removes its objects', async () => {
  await ok(['create', 'namespace', 'scratch']);
  await ok(['create', 'configmap', 'x', '-n', 'scratch']);
  await ok(['create', 'secret', 'generic', 's', '-n', 'scratch', '--from-literal=k=v']);
  await ok(['delete', 'namespace', 'scratch', '--timeout=20s']);
  assert.equal((await ok(['get', 'cm', '-n', 'scratch', '-o', 'name'])).trim(), '');
  await ok(['apply', '-f', '-'], WIDGET_CRD.replace(/widgets/g, 'gadgets').replace(/Widget/g, 'Gadget').replace('shortNames: [wd]', 'shortNames: [gd]'));
  await ok(['wait', '--for', 'condition=established', 'crd/gadgets.test.clusterd.dev']);
  await ok(['apply', '-f', '-'], widget('g1', 1).replace('Widget', 'Gadget'));
  await ok(['delete', 'crd', 'gadgets.test.clusterd.dev']);
  const after = await k(['get', '--raw', '/apis/test.clusterd.dev/v1/namespaces/default/gadgets']);
  assert.notEqual(after.code, 0);
});

test('acknowledged writes survive kill -9 and resourceVersions keep increasing', async () => {
  const before = JSON.parse(await ok(['create', 'configmap', 'durable', '--from-literal=k=v', '-o', 'json']));
  const rvBefore = Number(before.metadata.resourceVersion);
  await server.stop('SIGKILL');
  server = await spawnApiServer(dataDir, kubeconfig);
  const again = JSON.parse(await ok(['get', 'cm', 'durable', '-o', 'json']));
  assert.equal(again.metadata.uid, before.metadata.uid);
  assert.equal(again.data.k, 'v');
  assert.match(await ok(['get', 'wd', 'w1']), /w1\s+3\s+blue/);
  const next = JSON.parse(await ok(['create', 'configmap', 'after-restart', '-o', 'json']));
  assert.ok(Number(next.metadata.resourceVersion) > rvBefore, `${next.metadata.resourceVersion} > ${rvBefore}`);
});
