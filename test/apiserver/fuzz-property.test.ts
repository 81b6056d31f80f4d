/**
 * Property-based fuzzing (fast-check) of the API server's decoding (JSON and YAML, aliases, depth), patching (JSON
 * patch, merge, strategic merge, apply), validation (built-in kinds and a custom resource's schema) and selectors,
 * as an admin and as a worker's kubelet, against a server with kubeadm's authorization (Node,RBAC, NodeRestriction).
 * Properties, over thousands of generated requests: no 5xx; the server process neither crashes nor stops answering;
 * Object.prototype is unchanged; objects that existed before are byte-for-byte intact.
 * Runs once with a fixed seed and once with a random seed, which it prints (FUZZ_SEED=<n> replays one).
 */
import { newLogger } from '../../lib/logging.js';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { newSelfSignedCA, signCert } from '../../lib/pki.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { WIDGET_CRD } from './helpers.js';
import { rawRequest } from '../support/raw-https.js';

const ca = newSelfSignedCA('fuzz-ca');
let server: RunningApiServer;
const agents: Agent[] = [];
type Who = 'admin' | 'kubelet';
const agentFor: Partial<Record<Who, Agent>> = {};

interface Req { who: Who; method: string; path: string; body?: string; contentType?: string }

function call(r: Req): Promise<{ status: number; body: string }> {
  return rawRequest({ url: server.url, method: r.method, path: r.path, agent: agentFor[r.who], body: r.body, headers: r.contentType ? { 'Content-Type': r.contentType } : {} });
}

const CM = '/api/v1/namespaces/fuzz/configmaps';
const SECRETS = '/api/v1/namespaces/fuzz/secrets';
const NODES = '/api/v1/nodes';
const WD = '/apis/test.clusterd.dev/v1/namespaces/fuzz/widgets';
const SEEDS: [string, string, Record<string, unknown>][] = [
  [CM, 'seed-cm', { metadata: { name: 'seed-cm', labels: { app: 'seed' } }, data: { k: 'v' } }],
  [SECRETS, 'seed-secret', { metadata: { name: 'seed-secret' }, stringData: { token: 's3cr3t' } }],
  [NODES, 'seed-node', { metadata: { name: 'seed-node', labels: { 'kubernetes.io/hostname': 'seed-node' } }, spec: { podCIDR: '10.0.0.0/24' } }],
  [WD, 'seed-wd', { apiVersion: 'test.clusterd.dev/v1', kind: 'Widget', metadata: { name: 'seed-wd' }, spec: { color: 'red', replicas: 1 } }],
];
/** What the fuzzer may change: these are re-created when a request deletes them. */
const TARGETS: [string, string, Record<string, unknown>][] = [
  [CM, 'target', { metadata: { name: 'target' }, data: { a: '1' } }],
  [SECRETS, 'target', { metadata: { name: 'target' }, data: { a: 'MQ==' } }],
  [NODES, 'node-a', { metadata: { name: 'node-a' }, spec: {} }],
  [WD, 'target', { apiVersion: 'test.clusterd.dev/v1', kind: 'Widget', metadata: { name: 'target' }, spec: { color: 'blue', replicas: 2 } }],
];

async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [base, name] of SEEDS) out.set(`${base}/${name}`, (await call({ who: 'admin', method: 'GET', path: `${base}/${name}` })).body);
  return out;
}

before(async () => {
  // Internal errors are logged with their stack (the only thing at error level), so a 5xx found here can be fixed.
  server = await startApiServer({ port: 0, clientCA: ca, authorization: 'RBAC', logger: newLogger({ level: 'error' }) });
  const mk = (cn: string, o: string[]): Agent => {
    const c = signCert({ commonName: cn, organization: o, usages: ['client'] }, ca);
    const a = new Agent({ keepAlive: true, maxSockets: 8, ca: server.caPem, cert: c.certPem, key: c.keyPem });
    agents.push(a);
    return a;
  };
  agentFor.admin = mk('kubernetes-admin', ['system:masters']);
  agentFor.kubelet = mk('system:node:node-a', ['system:nodes']);
  const post = async (path: string, body: unknown): Promise<void> => {
    const r = await call({ who: 'admin', method: 'POST', path, body: JSON.stringify(body), contentType: 'application/json' });
    assert.ok(r.status === 201 || r.status === 409, `${path}: ${r.body}`);
  };
  await post('/api/v1/namespaces', { metadata: { name: 'fuzz' } });
  await post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', yaml.load(WIDGET_CRD));
  for (const [base, , body] of [...SEEDS, ...TARGETS]) await post(base, body);
});

after(async () => {
  for (const a of agents) a.destroy();
  await server.close();
});

// ---- generators ----------------------------------------------------------------------------------------------

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'metadata', 'spec',
  'status', 'data', 'labels', 'annotations', 'name', 'finalizers', 'ownerReferences', 'deletionTimestamp', '$patch', '$retainKeys',
  '$setElementOrder/containers', '$deleteFromPrimitiveList/finalizers', 'replicas', 'color', 'managedFields', 'taints', 'apiVersion', 'kind'];
const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HOSTILE_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });
const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null),
  fc.constantFrom('MQ==', 'not base64!', '2020-01-01T00:00:00Z', 'Delete', 'replace', 'merge'));
const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
}));
const jsonObject = fc.dictionary(key, jsonValue, { maxKeys: 6 });

/** A value nested n levels (arrays or objects), for the depth limits. */
const deep = fc.tuple(fc.integer({ min: 1, max: 12_000 }), fc.boolean()).map(([n, arr]) => (arr ? '['.repeat(n) + '1' + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n)));

/** YAML with anchors and aliases, from harmless to a billion laughs. */
const aliasYaml = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })).map(([levels, width]) => {
  const lines = ['metadata: {name: fuzz-yaml}', 'a0: &a0 ["lol","lol"]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(width).fill(`*a${i - 1}`).join(',')}]`);
  return lines.join('\n') + '\n';
});

const selectorText = fc.array(fc.oneof(fc.constantFrom('app', 'a', 'metadata.name', 'spec.nodeName', 'metadata.namespace', '=', '==', '!=', ' in ', ' notin ', '(', ')', ',', '!', 'seed', 'x y', '\\', '%', '__proto__', 'constructor'), fc.string({ maxLength: 4 })), { maxLength: 8 }).map((p) => p.join(''));

const target = fc.constantFrom(...TARGETS.map(([base, name]) => `${base}/${name}`), `${CM}/missing`, `${NODES}/node-b`);
const who = fc.constantFrom<Who>('admin', 'admin', 'kubelet');
const pointer = fc.array(fc.oneof(key, fc.constantFrom('0', '-', '1', '~0', '~1', '')), { minLength: 0, maxLength: 4 }).map((ts) => (ts.length ? '/' + ts.join('/') : ''));
const jsonPatchOp = fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'), path: pointer, from: pointer, value: jsonValue }, { requiredKeys: ['op', 'path'] });

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

const requestArb: fc.Arbitrary<Req> = fc.oneof(
  // Creates of built-in and custom kinds with arbitrary content, as JSON or YAML.
  fc.record({ who, base: fc.constantFrom(CM, SECRETS, NODES, WD), body: jsonObject, asYaml: fc.boolean(), n: fc.nat(50) }).map(({ who, base, body, asYaml, n }) => {
    const obj = { ...body, metadata: { ...(typeof body.metadata === 'object' && body.metadata ? body.metadata : {}), name: `fuzz-${n}` } };
    if (base === WD) Object.assign(obj, { apiVersion: 'test.clusterd.dev/v1', kind: 'Widget' });
    return { who, method: 'POST', path: base, body: asYaml ? yaml.dump(obj) : JSON.stringify(obj), contentType: asYaml ? 'application/yaml' : 'application/json' };
  }),
  // Updates (PUT) of the targets with arbitrary content.
  fc.record({ who, path: target, body: jsonObject }).map(({ who, path, body }) => ({ who, method: 'PUT', path, body: JSON.stringify(body), contentType: 'application/json' })),
  // JSON patches.
  fc.record({ who, path: target, ops: fc.array(jsonPatchOp, { maxLength: 5 }) }).map(({ who, path, ops }) => ({ who, method: 'PATCH', path, body: JSON.stringify(ops), contentType: PATCH_TYPES[0] })),
  // Merge, strategic merge and apply patches.
  fc.record({ who, path: target, body: jsonObject, type: fc.constantFrom(...PATCH_TYPES.slice(1)) }).map(({ who, path, body, type }) => ({
    who, method: 'PATCH', path: type.includes('apply') ? `${path}?fieldManager=fuzz&force=true` : path, body: JSON.stringify(body), contentType: type,
  })),
  // Deep nesting, in bodies and patches.
  fc.record({ path: target, d: deep, type: fc.constantFrom('application/json', ...PATCH_TYPES.slice(1)) }).map(({ path, d, type }) => ({
    who: 'admin' as const, method: type === 'application/json' ? 'POST' : 'PATCH', path: type === 'application/json' ? CM : type.includes('apply') ? `${path}?fieldManager=fuzz` : path,
    body: `{"metadata":{"name":"fuzz-deep"},"data":${d}}`, contentType: type,
  })),
  // YAML alias expansion.
  fc.record({ who, y: aliasYaml }).map(({ who, y }) => ({ who, method: 'POST', path: CM, body: y, contentType: 'application/yaml' })),
  // Selectors on lists and watches that end at once.
  fc.record({ who, base: fc.constantFrom(CM, SECRETS, NODES, WD, '/api/v1/pods', '/api/v1/secrets'), l: selectorText, f: selectorText, watch: fc.boolean() }).map(({ who, base, l, f, watch }) => ({
    who, method: 'GET', path: `${base}?labelSelector=${encodeURIComponent(l)}&fieldSelector=${encodeURIComponent(f)}${watch ? '&watch=true&timeoutSeconds=0' : ''}`,
  })),
  // Raw garbage bodies with any content type.
  fc.record({ who, path: target, body: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('{', '[]', 'null', '- a', '&a [*a]', '{"a":1}{"b":2}', '\u0000')), method: fc.constantFrom('POST', 'PUT', 'PATCH'), ct: fc.constantFrom('application/json', 'application/yaml', ...PATCH_TYPES, 'text/plain') }).map(({ who, path, body, method, ct }) => ({
    who, method, path: method === 'POST' ? path.replace(/\/[^/]+$/, '') : path, body, contentType: ct,
  })),
  // Deletes of targets and fuzz objects (the seeds are never named).
  fc.record({ who, path: fc.oneof(target, fc.nat(50).map((n) => `${CM}/fuzz-${n}`)) }).map(({ who, path }) => ({ who, method: 'DELETE', path })),
);

// ---- the property -------------------------------------------------------------------------------------------

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();
const PROTO_VALUES = new Map(HOSTILE_KEYS.map((k) => [k, (Object.prototype as Record<string, unknown>)[k]]));

async function fuzz(seed: number, runs: number): Promise<{ inputs: number; codes: Map<number, number> }> {
  const before = await snapshot();
  const codes = new Map<number, number>();
  let inputs = 0;
  await fc.assert(fc.asyncProperty(fc.array(requestArb, { minLength: 1, maxLength: 10 }), async (reqs) => {
    const replies = await Promise.all(reqs.map(call));
    inputs += reqs.length;
    replies.forEach((r, i) => {
      codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
      assert.ok(r.status < 500, `${reqs[i]!.method} ${reqs[i]!.path} ${reqs[i]!.contentType ?? ''} ${(reqs[i]!.body ?? '').slice(0, 2000)} -> ${r.status} ${r.body.slice(0, 300)}`);
    });
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTO_NAMES, 'Object.prototype gained a property');
    assert.equal(Object.getPrototypeOf(Object.prototype), null);
    for (const k of HOSTILE_KEYS) if (k !== '__proto__') assert.equal(({} as Record<string, unknown>)[k], PROTO_VALUES.get(k), `Object.prototype.${k} changed`);
    // Put back what the fuzzer deleted, so later inputs still have something to patch.
    if (reqs.some((r) => r.method === 'DELETE')) for (const [base, name, body] of TARGETS) {
      if ((await call({ who: 'admin', method: 'GET', path: `${base}/${name}` })).status === 404) {
        await call({ who: 'admin', method: 'POST', path: base, body: JSON.stringify(body), contentType: 'application/json' });
      }
    }
  }), { seed, numRuns: runs, endOnFailure: true });
  assert.equal((await call({ who: 'admin', method: 'GET', path: '/readyz' })).body, 'ok');
  const afterSnap = await snapshot();
  for (const [k, v] of before) assert.equal(afterSnap.get(k), v, `${k} changed`);
  return { inputs, codes };
}

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);

test('fuzz with a fixed seed: no 5xx, no crash, no prototype pollution, seeds intact', async () => {
  const { inputs, codes } = await fuzz(Number(process.env.FUZZ_SEED ?? 1207), RUNS);
  console.log(`fuzz fixed seed: ${inputs} inputs, status codes ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
  assert.ok(inputs > 500);
  assert.ok((codes.get(200) ?? 0) + (codes.get(201) ?? 0) > 50, 'the fuzzer must also reach the success paths');
});

test('fuzz with a random seed (printed, replay with FUZZ_SEED)', async () => {
  const seed = Math.floor(Math.random() * 2 ** 31);
  console.log(`fuzz random seed: ${seed} (FUZZ_SEED=${seed} replays it)`);
  const { inputs, codes } = await fuzz(seed, RUNS);
  console.log(`fuzz random seed ${seed}: ${inputs} inputs, status codes ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
});
