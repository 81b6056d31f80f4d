/**
 * Request bodies in protobuf, as kubectl 1.35+ sends them for built-in kinds (client-go's generated clients prefer
 * protobuf). The bodies come from the real kubectl; the stored objects must be what the same command stores as
 * JSON. The message layouts are generated from the pinned k8s.io/api module (a drift test regenerates them).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeProtobufObject } from '../../apiserver/protobuf/decode.js';
import { generateSchema } from '../../apiserver/protobuf/generate.js';
import { repoRoot } from '../../lib/paths.js';
import { kubectlRunner, spawnApiServer, tempDir, type ApiServerProcess } from './helpers.js';

const dir = tempDir('apiserver-protobuf-');
const kubeconfig = join(dir.path, 'kubeconfig');
const k = kubectlRunner(kubeconfig, join(dir.path, 'cache'));
let server: ApiServerProcess;

async function ok(args: string[], input?: string): Promise<string> {
  const r = await k(args, { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  server = await spawnApiServer(join(dir.path, 'data'), kubeconfig);
});

after(async () => {
  await server?.stop('SIGKILL');
  dir.remove();
});

test('kubectl sends built-in kinds in protobuf, and what it creates is what JSON creates', async () => {
  // -v=8 shows the request's Content-Type: the test would prove nothing if kubectl sent JSON.
  const traced = await k(['create', 'configmap', 'pb', '--from-literal=a=1', '--from-literal=empty=', '-v=8']);
  assert.equal(traced.code, 0, traced.stderr);
  assert.match(traced.stderr, /Content-Type: application\/vnd\.kubernetes\.protobuf/);
  const viaJson = JSON.parse(await ok(['create', '-f', '-', '-o', 'json'], JSON.stringify({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'js', namespace: 'default' }, data: { a: '1', empty: '' },
  }))) as { data: Record<string, string> };
  const viaPb = JSON.parse(await ok(['get', 'configmap', 'pb', '-o', 'json'])) as { data: Record<string, string>; metadata: Record<string, unknown> };
  assert.deepEqual(viaPb.data, viaJson.data, 'map values, the empty one included');
  assert.equal(viaPb.metadata.namespace, 'default');

  const bytes = Buffer.from([0xff, 0x00, 0x80, 0x61]);
  writeFileSync(join(dir.path, 'k'), bytes);
  await ok(['create', 'secret', 'generic', 'pbs', `--from-file=k=${join(dir.path, 'k')}`]);
  const secret = JSON.parse(await ok(['get', 'secret', 'pbs', '-o', 'json'])) as { data: Record<string, string>; type: string };
  assert.deepEqual(Buffer.from(secret.data.k!, 'base64'), bytes, 'bytes fields arrive byte for byte');
  assert.equal(secret.type, 'Opaque');

  await ok(['create', 'namespace', 'pb-ns']);
  assert.equal((await ok(['get', 'ns', 'pb-ns', '-o', 'jsonpath={.status.phase}'])), 'Active');
  // A SelfSubjectAccessReview in protobuf.
  assert.equal((await ok(['auth', 'can-i', 'create', 'configmaps'])).trim(), 'yes');
});

test('a body that is not kube\'s protobuf envelope is a 400, an unknown kind a 415, never a 5xx', () => {
  assert.throws(() => decodeProtobufObject(Buffer.from('{"kind":"ConfigMap"}')), (e: { code?: number }) => e.code === 400);
  // The envelope with typeMeta {apiVersion: "v1", kind: "Nope"} and no raw bytes.
  const typeMeta = Buffer.concat([Buffer.from([0x0a, 2]), Buffer.from('v1'), Buffer.from([0x12, 4]), Buffer.from('Nope')]);
  const unknown = Buffer.concat([Buffer.from([0x0a, typeMeta.length]), typeMeta]);
  assert.throws(() => decodeProtobufObject(Buffer.concat([Buffer.from('k8s\0'), unknown])), (e: { code?: number }) => e.code === 415);
  assert.throws(() => decodeProtobufObject(Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, 0xff, 0xff])])), (e: { code?: number }) => e.code === 400);
});

test('schema.json is what the pinned k8s.io/api module generates (no drift)', () => {
  const committed = readFileSync(join(repoRoot(), 'apiserver', 'protobuf', 'schema.json'), 'utf8');
  assert.equal(generateSchema(), committed, 'regenerate with: node dist/apiserver/protobuf/generate.js');
});
