/**
 * Fuzz-style robustness: thousands of malformed or hostile requests (bad JSON and YAML, wrong content types,
 * oversized bodies, invalid names, mismatched kinds, random paths and methods, concurrent conflicting writes).
 * Every answer must be a proper Status (never a 5xx), and the stored data must be exactly as before.
 */
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { parseKubeconfig } from '../../lib/kubeconfig.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { WIDGET_CRD } from './helpers.js';
import { rawRequest } from '../support/raw-https.js';

let server: RunningApiServer;
let agent: Agent;

interface Reply {
  status: number;
  body: string;
}

function call(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return rawRequest({ url: server.url, method, path, agent, body, headers });
}

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = 20;
const CM = '/api/v1/namespaces/fuzz/configmaps';
const WD = '/apis/test.clusterd.dev/v1/namespaces/fuzz/widgets';

async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of [CM, WD]) {
    const list = JSON.parse((await call('GET', path)).body) as { items: { metadata: { name: string } }[] };
    for (const o of list.items) if (o.metadata.name.startsWith('seed-')) out.set(`${path}/${o.metadata.name}`, JSON.stringify(o));
  }
  return out;
}

before(async () => {
  server = await startApiServer({ port: 0 });
  const kc = parseKubeconfig(server.adminKubeconfig());
  agent = new Agent({ keepAlive: true, maxSockets: 16, ca: kc.caPem, cert: kc.clientCertPem, key: kc.clientKeyPem });
  const json = { 'Content-Type': 'application/json' };
  assert.equal((await call('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'fuzz' } }), json)).status, 201);
  assert.equal((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', JSON.stringify(yaml.load(WIDGET_CRD)), json)).status, 201);
  for (let i = 0; i < SEEDS; i++) {
    assert.equal((await call('POST', CM, JSON.stringify({ metadata: { name: `seed-${i}`, labels: { n: String(i) } }, data: { v: String(i) } }), json)).status, 201);
    if (i < 5) assert.equal((await call('POST', WD, JSON.stringify({ apiVersion: 'test.clusterd.dev/v1', kind: 'Widget', metadata: { name: `seed-${i}` }, spec: { color: 'red', replicas: i } }), json)).status, 201);
  }
});

after(async () => {
  agent.destroy();
  await server.close();
});

const GARBAGE = ['{', '{"metadata":', 'null', '[]', '"str"', '42', '{"metadata":{"name":5}}', '\u0000\u0001\u0002', '{"a":1}{"b":2}', 'kind: [', '- a\n- b', '{"metadata":{"name":"seed-1"},"data":{"v":{"x":1}}}'];
const TYPES = ['application/json', 'application/yaml', 'text/plain', '', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'application/x-www-form-urlencoded', 'application/vnd.kubernetes.protobuf'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
const PATHS = ['/api', '/api/v1', '/api/v2/x', '/apis/nope/v1/things', '/apis/test.clusterd.dev/v9/widgets', '/api/v1/namespaces/fuzz/nothings', '/api/v1/namespaces/%zz/configmaps', '/api/v1/namespaces/fuzz/configmaps/a/b/c/d', '/openapi/v3/nope', '/apis/test.clusterd.dev/v1/namespaces/fuzz/widgets/seed-1/scale', '//', '/api/v1/namespaces/fuzz/configmaps?labelSelector=a%20in%20(', '/api/v1/namespaces/fuzz/configmaps?fieldSelector=%3D%3D', '/api/v1/namespaces/fuzz/configmaps?limit=-4', '/api/v1/namespaces/fuzz/configmaps?continue=%%%', '/api/v1/watch/namespaces/fuzz/configmaps?resourceVersion=abc'];

function hostile(rand: () => number): { method: string; path: string; body?: string | Buffer; headers: Record<string, string> } {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const seedName = `seed-${Math.floor(rand() * SEEDS)}`;
  const type = pick(TYPES);
  const headers: Record<string, string> = type ? { 'Content-Type': type } : {};
  switch (Math.floor(rand() * 8)) {
    case 0: return { method: pick(['POST', 'PUT', 'PATCH']), path: `${CM}/${seedName}`.replace(/\/seed-\d+$/, rand() < 0.5 ? `/${seedName}` : ''), body: pick(GARBAGE), headers };
    case 1: return { method: 'POST', path: CM, body: JSON.stringify({ metadata: { name: pick(['UPPER', 'under_score', '-dash', 'a'.repeat(300), 'dot.', '', 'seed-1']) } }), headers: { 'Content-Type': 'application/json' } };
    case 2: return { method: pick(['POST', 'PUT']), path: pick([CM, `${CM}/${seedName}`]), body: JSON.stringify({ apiVersion: pick(['v2', 'apps/v1', 'v1']), kind: pick(['Secret', 'Pod', 'ConfigMapp']), metadata: { name: seedName }, data: { v: 'hijack' } }), headers: { 'Content-Type': 'application/json' } };
    case 3: {
      // DELETE on a collection is a legitimate deletecollection, so hostile DELETEs only go to paths that are not.
      const method = pick(METHODS);
      const paths = method === 'DELETE' ? PATHS.filter((p) => !p.startsWith(`${CM}?`)) : PATHS;
      return { method, path: pick(paths), body: rand() < 0.5 ? pick(GARBAGE) : undefined, headers };
    }
    case 4: return { method: 'PUT', path: `${WD}/${seedName}`, body: JSON.stringify({ apiVersion: 'test.clusterd.dev/v1', kind: 'Widget', metadata: { name: seedName }, spec: { color: pick(['pink', 7, null]), replicas: pick([-1, 'x', 1.5]) } }), headers: { 'Content-Type': 'application/json' } };
    case 5: return { method: 'PATCH', path: `${pick([CM, WD])}/${seedName}`, body: pick(['[{"op":"remove","path":"/nope/x"}]', '[{"op":"test","path":"/data/v","value":"no"},{"op":"replace","path":"/data/v","value":"hijack"}]', '{"metadata":{"name":"renamed"}}', '{"metadata":{"resourceVersion":"1"},"data":{"v":"stale"}}', '[{"op":"bogus"}]']), headers: { 'Content-Type': pick(['application/json-patch+json', 'application/merge-patch+json']) } };
    case 6: return { method: 'PUT', path: `${CM}/${seedName}`, body: JSON.stringify({ metadata: { name: seedName, resourceVersion: '1' }, data: { v: 'stale' } }), headers: { 'Content-Type': 'application/json' } };
    default: return { method: 'GET', path: `${pick([CM, WD])}?labelSelector=${encodeURIComponent(pick(['n in (1,2', '!', 'n=', 'a b c', 'n notin (1)', '=']))}`, headers };
  }
}

test('thousands of malformed requests get Status answers and change nothing', async () => {
  const before = await snapshot();
  assert.equal(before.size, SEEDS + 5);
  const rand = prng(20240611);
  const codes = new Map<number, number>();
  const N = 3000;
  let next = 0;
  await Promise.all(Array.from({ length: 12 }, async () => {
    while (next < N) {
      next++;
      const h = hostile(rand);
      const r = await call(h.method, h.path, h.body, h.headers);
      codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
      assert.ok(r.status < 500, `${h.method} ${h.path} -> ${r.status} ${r.body}`);
      if (r.status >= 400 && h.method !== 'HEAD') {
        const s = JSON.parse(r.body) as { kind: string; status: string; code: number; message: string };
        assert.equal(s.kind, 'Status', `${h.method} ${h.path}: ${r.body}`);
        assert.equal(s.code, r.status);
        assert.ok(s.message);
      }
    }
  }));
  // Oversized bodies are refused with 413, whether Content-Length announces them or not.
  const huge = Buffer.alloc(4 * 1024 * 1024, 'a');
  for (let i = 0; i < 3; i++) {
    const r = await call('POST', CM, huge, { 'Content-Type': 'application/json' });
    assert.equal(r.status, 413);
    assert.match(JSON.parse(r.body).message, /Request entity too large/);
  }
  assert.equal((await call('GET', '/readyz')).body, 'ok');
  const afterSnap = await snapshot();
  assert.deepEqual([...afterSnap.keys()].sort(), [...before.keys()].sort());
  for (const [k, v] of before) assert.equal(afterSnap.get(k), v, `${k} changed`);
  assert.ok((codes.get(400) ?? 0) > 100 && (codes.get(404) ?? 0) > 10 && (codes.get(415) ?? 0) > 10 && (codes.get(422) ?? 0) > 10 && (codes.get(409) ?? 0) > 10, JSON.stringify([...codes]));
});

test('concurrent conflicting writes: exactly one wins, the rest get 409', async () => {
  const created = JSON.parse((await call('POST', CM, JSON.stringify({ metadata: { name: 'race' }, data: { v: '0' } }), { 'Content-Type': 'application/json' })).body) as { metadata: { resourceVersion: string } };
  const rv = created.metadata.resourceVersion;
  const replies = await Promise.all(Array.from({ length: 40 }, (_, i) =>
    call('PUT', `${CM}/race`, JSON.stringify({ metadata: { name: 'race', resourceVersion: rv }, data: { v: String(i + 1) } }), { 'Content-Type': 'application/json' })));
  assert.equal(replies.filter((r) => r.status === 200).length, 1);
  assert.equal(replies.filter((r) => r.status === 409).length, 39);
  const winner = replies.find((r) => r.status === 200)!;
  const stored = JSON.parse((await call('GET', `${CM}/race`)).body) as { data: { v: string } };
  assert.equal(stored.data.v, (JSON.parse(winner.body) as { data: { v: string } }).data.v);
});
