/**
 * The holes found when the API server was probed as an attacker (issue 12), each reproduced over HTTPS against a
 * server with kubeadm's authorization (Node,RBAC and NodeRestriction), with the client certificates of an admin and of
 * a worker's kubelet.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { after, before, test } from 'node:test';
import { newCsr, newPrivateKey, newSelfSignedCA, signCert } from '../../lib/pki.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';

const ca = newSelfSignedCA('security-ca');
let server: RunningApiServer;
const agents: Agent[] = [];

interface Reply { status: number; body: string; json: Record<string, unknown> }
type Call = (method: string, path: string, body?: unknown, contentType?: string) => Promise<Reply>;

function clientFor(cn: string, orgs: string[]): Call {
  const cert = signCert({ commonName: cn, organization: orgs, usages: ['client'] }, ca);
  const agent = new Agent({ keepAlive: true, ca: server.caPem, cert: cert.certPem, key: cert.keyPem });
  agents.push(agent);
  return (method, path, body, contentType = 'application/json') => new Promise((resolve, reject) => {
    const u = new URL(server.url);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request({ host: u.hostname, port: u.port, method, path, agent, headers: payload !== undefined ? { 'Content-Type': contentType } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

let admin: Call;
let kubeletA: Call;

const node = (name: string): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} });

before(async () => {
  server = await startApiServer({ port: 0, clientCA: ca, authorization: 'RBAC' });
  admin = clientFor('kubernetes-admin', ['system:masters']);
  kubeletA = clientFor('system:node:node-a', ['system:nodes']);
  assert.equal((await admin('POST', '/api/v1/nodes', node('node-b'))).status, 201);
  assert.equal((await kubeletA('POST', '/api/v1/nodes', node('node-a'))).status, 201);
  for (const s of ['bootstrap-token-abcdef', 'kubeadm-certs', 'for-pod-a', 'for-pod-b']) {
    assert.equal((await admin('POST', '/api/v1/namespaces/kube-system/secrets', { metadata: { name: s }, stringData: { k: 'v' } })).status, 201);
  }
  const pod = (name: string, nodeName: string, secret: string): Record<string, unknown> => ({
    metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'v', secret: { secretName: secret } }] },
  });
  assert.equal((await admin('POST', '/api/v1/namespaces/kube-system/pods', pod('pod-a', 'node-a', 'for-pod-a'))).status, 201);
  assert.equal((await admin('POST', '/api/v1/namespaces/kube-system/pods', pod('pod-b', 'node-b', 'for-pod-b'))).status, 201);
});

after(async () => {
  for (const a of agents) a.destroy();
  await server.close();
});

test('1: a JSON patch through /__proto__ is refused and pollutes nothing; creates keep working', async () => {
  const r = await kubeletA('PATCH', '/api/v1/nodes/node-a', [{ op: 'add', path: '/__proto__/deletionTimestamp', value: '2020-01-01T00:00:00Z' }], 'application/json-patch+json');
  assert.equal(r.status, 422, r.body);
  assert.match(String(r.json.message), /doc is missing path/);
  assert.equal(({} as Record<string, unknown>).deletionTimestamp, undefined);
  // Merge, strategic merge and apply treat `__proto__` as an ordinary (unknown, pruned) key.
  for (const [ct, body] of [
    ['application/merge-patch+json', '{"__proto__":{"polluted":true},"data":{"__proto__":"kept"}}'],
    ['application/strategic-merge-patch+json', '{"metadata":{"__proto__":{"polluted":true}},"data":{"constructor":"x"}}'],
    ['application/apply-patch+yaml', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","__proto__":{"polluted":true}},"data":{"toString":"y"}}'],
  ] as const) {
    if (ct !== 'application/apply-patch+yaml') await admin('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm' } });
    const p = await admin('PATCH', `/api/v1/namespaces/default/configmaps/cm${ct.includes('apply') ? '?fieldManager=t' : ''}`, body, ct);
    assert.ok(p.status < 300, `${ct}: ${p.body}`);
    assert.equal(Object.getPrototypeOf(p.json), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, ct);
  }
  const got = await admin('GET', '/api/v1/namespaces/default/configmaps/cm');
  assert.deepEqual(Object.keys(got.json.data as object).sort(), ['__proto__', 'constructor', 'toString']);
  assert.equal((await admin('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'after-proto' } })).status, 201);
});

test('2: a kubelet reads only what its pods reference, and modifies only its own Node (Node authorizer + NodeRestriction)', async () => {
  const forbidden = async (r: Promise<Reply>, re: RegExp): Promise<void> => {
    const x = await r;
    assert.equal(x.status, 403, x.body);
    assert.match(String(x.json.message), re);
  };
  await forbidden(kubeletA('GET', '/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef'), /no relationship found between node 'node-a' and this object/);
  await forbidden(kubeletA('GET', '/api/v1/namespaces/kube-system/secrets/kubeadm-certs'), /no relationship found/);
  await forbidden(kubeletA('GET', '/api/v1/namespaces/kube-system/secrets/for-pod-b'), /no relationship found/);
  await forbidden(kubeletA('GET', '/api/v1/secrets'), /cannot list resource "secrets"/);
  await forbidden(kubeletA('GET', '/api/v1/namespaces/kube-system/secrets'), /No Object name found/);
  assert.equal((await kubeletA('GET', '/api/v1/namespaces/kube-system/secrets/for-pod-a')).status, 200);
  assert.equal((await kubeletA('GET', '/api/v1/namespaces/kube-system/secrets?fieldSelector=metadata.name%3Dfor-pod-a')).status, 200);
  // Nodes: its own only.
  assert.equal((await kubeletA('GET', '/api/v1/nodes/node-a')).status, 200);
  await forbidden(kubeletA('GET', '/api/v1/nodes/node-b'), /node 'node-a' cannot read 'node-b', only its own Node object/);
  await forbidden(kubeletA('GET', '/api/v1/nodes'), /cannot read all nodes/);
  await forbidden(kubeletA('PATCH', '/api/v1/nodes/node-b', { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json'), /nodes "node-b" is forbidden: node "node-a" is not allowed to modify node "node-b"/);
  await forbidden(kubeletA('DELETE', '/api/v1/nodes/node-b'), /cannot delete resource "nodes"/);
  await forbidden(kubeletA('DELETE', '/api/v1/nodes/node-a'), /cannot delete resource "nodes"/);
  await forbidden(kubeletA('PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } }, 'application/merge-patch+json'), /is not allowed to modify labels: node-role.kubernetes.io\/control-plane/);
  await forbidden(kubeletA('PATCH', '/api/v1/nodes/node-a', { spec: { taints: [] , unschedulable: true } }, 'application/merge-patch+json').then(async (r) => r.status === 200 ? kubeletA('PATCH', '/api/v1/nodes/node-a', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }, 'application/merge-patch+json') : r), /not allowed to modify taints/);
  assert.equal((await kubeletA('PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { 'kubernetes.io/arch': 'amd64', 'example.com/own': 'yes' } } }, 'application/merge-patch+json')).status, 200);
  // Pods: only mirror pods bound to itself, only delete its own.
  await forbidden(kubeletA('POST', '/api/v1/namespaces/kube-system/pods', { metadata: { name: 'evil' }, spec: { nodeName: 'node-b', containers: [{ name: 'c', image: 'x' }] } }), /can only create mirror pods/);
  await forbidden(kubeletA('POST', '/api/v1/namespaces/kube-system/pods', { metadata: { name: 'evil', annotations: { 'kubernetes.io/config.mirror': 'x' } }, spec: { nodeName: 'node-b', containers: [{ name: 'c', image: 'x' }] } }), /can only create pods with spec.nodeName set to itself/);
  await forbidden(kubeletA('DELETE', '/api/v1/namespaces/kube-system/pods/pod-b'), /can only delete pods with spec.nodeName set to itself/);
  await forbidden(kubeletA('GET', '/api/v1/pods'), /can only list\/watch pods with spec.nodeName field selector/);
  assert.equal((await kubeletA('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a')).status, 200);
  // Leases: its own, in kube-node-lease.
  await forbidden(kubeletA('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'node-b' } }), /can only access node lease with the same name as the requesting node/);
  assert.equal((await kubeletA('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'node-a' } })).status, 201);
});

test('3: a CSR for another node is refused, and a CSR\'s spec cannot be rewritten after creation', async () => {
  const csr = (cn: string, signerName: string): Record<string, unknown> => ({
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: `csr-${cn.replace(/:/g, '-')}-${signerName.length}` },
    spec: { request: Buffer.from(newCsr(newPrivateKey(), cn, ['system:nodes'])).toString('base64'), signerName, usages: ['client auth'], username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers'] },
  });
  const path = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
  const other = await kubeletA('POST', path, csr('system:node:node-b', 'kubernetes.io/kube-apiserver-client-kubelet'));
  assert.equal(other.status, 403, other.body);
  assert.match(String(other.json.message), /can only create a node CSR with CN=system:node:node-a/);
  const mine = await kubeletA('POST', path, csr('system:node:node-a', 'kubernetes.io/kube-apiserver-client-kubelet'));
  assert.equal(mine.status, 201, mine.body);
  const spec = mine.json.spec as { username: string; groups: string[] };
  assert.equal(spec.username, 'system:node:node-a', 'the requestor is the authenticated user, not what the body claims');
  assert.deepEqual(spec.groups, ['system:nodes', 'system:authenticated']);
  const name = (mine.json.metadata as { name: string }).name;
  const rewritten = { ...mine.json, spec: { ...spec, username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:authenticated'] } };
  assert.equal((await admin('PUT', `${path}/${name}`, rewritten)).status, 200);
  const after = (await admin('GET', `${path}/${name}`)).json.spec as { username: string; groups: string[] };
  assert.equal(after.username, 'system:node:node-a');
  assert.deepEqual(after.groups, ['system:nodes', 'system:authenticated']);
  const patched = await admin('PATCH', `${path}/${name}`, { spec: { username: 'someone-else' } }, 'application/merge-patch+json');
  assert.equal((patched.json.spec as { username: string }).username, 'system:node:node-a');
});

test('4: YAML alias amplification is refused as go-yaml refuses it, quickly, and stores nothing', async () => {
  const bomb = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: bomb}', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]', 'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]', 'data: {x: "y"}', 'h: [*g,*g,*g,*g,*g,*g,*g,*g,*g]'].join('\n');
  const start = performance.now();
  const r = await admin('POST', '/api/v1/namespaces/default/configmaps', bomb, 'application/yaml');
  assert.equal(r.status, 400, r.body);
  assert.match(String(r.json.message), /excessive aliasing/);
  assert.ok(performance.now() - start < 2000);
  // Aliases within go-yaml's budget that would still expand past the request limit: 413, not a 500 or a stored giant.
  const wide = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide}\ndata: {x: &s "${'z'.repeat(200_000)}"}\nbinaryData: {}\nmore: [${Array(20).fill('*s').join(',')}]\n`;
  const w = await admin('POST', '/api/v1/namespaces/default/configmaps', wide, 'application/yaml');
  assert.equal(w.status, 413, w.body);
  assert.equal((await admin('GET', '/api/v1/namespaces/default/configmaps/bomb')).status, 404);
  assert.equal((await admin('GET', '/api/v1/namespaces/default/configmaps/wide')).status, 404);
  // Aliases in moderation are fine.
  const ok = await admin('POST', '/api/v1/namespaces/default/configmaps', 'metadata: {name: aliased}\ndata: {a: &v "1", b: *v}\n', 'application/yaml');
  assert.equal(ok.status, 201, ok.body);
  assert.deepEqual(ok.json.data, { a: '1', b: '1' });
});

test('5: nesting 10,000 levels deep is a 400 or 422 with a clear message, never a 500', async () => {
  const deep = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  const create = await admin('POST', '/api/v1/namespaces/default/configmaps', `{"metadata":{"name":"deep"},"data":${deep(10_000)}}`);
  assert.equal(create.status, 400, create.body.slice(0, 200));
  assert.match(String(create.json.message), /exceeded max depth/);
  const merge = await admin('PATCH', '/api/v1/namespaces/default/configmaps/after-proto', `{"extra":${deep(10_000)}}`, 'application/merge-patch+json');
  assert.equal(merge.status, 400);
  assert.match(String(merge.json.message), /exceeded max depth/);
  // A JSON patch may nest a value below an already deep one: the result is bounded too.
  const half = JSON.parse(deep(900)) as unknown;
  await admin('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'halfdeep' } });
  const p1 = await admin('PATCH', '/api/v1/namespaces/default/configmaps/halfdeep', [{ op: 'add', path: '/x', value: half }], 'application/json-patch+json');
  assert.ok(p1.status === 200 || p1.status === 422, p1.body.slice(0, 200));
  const path = '/x' + '/a'.repeat(800);
  const p2 = await admin('PATCH', '/api/v1/namespaces/default/configmaps/halfdeep', [{ op: 'add', path: '/y', value: half }, { op: 'add', path: `${path.replace('/x', '/y')}/b`, value: half }, { op: 'copy', from: '/y', path: '/z' }], 'application/json-patch+json');
  assert.equal(p2.status, 422, p2.body.slice(0, 200));
  assert.match(String(p2.json.message), /exceeded max depth/);
  assert.equal((await admin('GET', '/readyz')).body, 'ok');
});

test('6: built-in kinds are type-checked against their schemas, in kube-apiserver\'s decoding words', async () => {
  const cases: [string, unknown, RegExp][] = [
    ['/api/v1/namespaces/default/configmaps', { metadata: { name: 't1' }, data: { a: { b: [1, 2] } } }, /^ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal object into Go struct field ConfigMap.data of type string$/],
    ['/api/v1/namespaces/default/secrets', { metadata: { name: 't2' }, data: { a: 5 } }, /^Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal number 5 into Go struct field Secret.data of type \[\]uint8$/],
    ['/api/v1/namespaces/default/secrets', { metadata: { name: 't3' }, data: { a: 'not base64!' } }, /^Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3$/],
    ['/api/v1/nodes', { metadata: { name: 't4' }, spec: 'garbage' }, /^Node in version "v1" cannot be handled as a Node: json: cannot unmarshal string into Go struct field Node.spec of type v1.NodeSpec$/],
    ['/api/v1/namespaces/default/pods', { metadata: { name: 't5' }, spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 1.5 }] }] } }, /Go struct field Pod.spec.containers.ports.containerPort of type int32/],
  ];
  for (const [path, body, re] of cases) {
    const r = await admin('POST', path, body);
    assert.equal(r.status, 400, `${path}: ${r.body}`);
    assert.match(String(r.json.message), re);
  }
  // A patch that breaks the type is refused the same way, and the object is unchanged.
  await admin('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'typed' }, data: { a: 'b' } });
  const p = await admin('PATCH', '/api/v1/namespaces/default/configmaps/typed', { data: { a: 7 } }, 'application/merge-patch+json');
  assert.equal(p.status, 400);
  assert.deepEqual((await admin('GET', '/api/v1/namespaces/default/configmaps/typed')).json.data, { a: 'b' });
  // Quantities may be numbers, as Go's resource.Quantity accepts.
  const pod = await admin('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'q' }, spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: 1 } } }] } });
  assert.equal(pod.status, 201, pod.body);
});

test('7: annotations are limited to 256 KiB in total, on built-in kinds and custom resources alike; data to 1 MiB', async () => {
  const big = 'x'.repeat(1024 * 1024);
  const r = await admin('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'annotated', annotations: { a: big } } });
  assert.equal(r.status, 422, r.body.slice(0, 300));
  assert.match(String(r.json.message), /metadata.annotations: Too long: may not be more than 262144 bytes/);
  const justUnder = await admin('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'annotated', annotations: { a: 'x'.repeat(256 * 1024 - 1) } } });
  assert.equal(justUnder.status, 201);
  const patch = await admin('PATCH', '/api/v1/namespaces/default/configmaps/annotated', { metadata: { annotations: { b: 'yy' } } }, 'application/merge-patch+json');
  assert.equal(patch.status, 422);
  const crd = await admin('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    metadata: { name: 'things.example.com' },
    spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Thing', plural: 'things' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
  });
  assert.equal(crd.status, 201, crd.body);
  const cr = await admin('POST', '/apis/example.com/v1/namespaces/default/things', { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't', annotations: { a: big } } });
  assert.equal(cr.status, 422, cr.body.slice(0, 300));
  const data = await admin('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'bigdata' }, data: { a: 'x'.repeat(700 * 1024), b: 'x'.repeat(700 * 1024) } });
  assert.equal(data.status, 422, data.body.slice(0, 300));
  assert.match(String(data.json.message), /Too long: may not be more than 1048576 bytes/);
});

let rawCert: { certPem: string; keyPem: string } | undefined;

/** A raw request over TLS with the admin's certificate: what node's HTTP client would refuse to send. */
async function raw(srv: RunningApiServer, text: string, waitMs = 5000): Promise<{ head: string; body: string; ended: boolean }> {
  const { connect } = await import('node:tls');
  rawCert ??= signCert({ commonName: 'kubernetes-admin', organization: ['system:masters'], usages: ['client'] }, ca);
  const cert = rawCert;
  const u = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port), ca: srv.caPem, cert: cert.certPem, key: cert.keyPem, servername: 'localhost' }, () => s.write(text));
    let data = '';
    let ended = false;
    const finish = (): void => {
      clearTimeout(t);
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ head, body, ended });
      s.destroy();
    };
    const t = setTimeout(finish, waitMs);
    s.on('data', (d: Buffer) => {
      data += d.toString();
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(head);
      if (len && Buffer.byteLength(body) >= Number(len[1])) finish();
    });
    s.on('end', () => { ended = true; finish(); });
    s.on('error', reject);
  });
}

test('8: HTTP edges answer as kube-apiserver does: 431, 405, 504 for a body that never comes, 504 for a future revision, no timer overflow', async () => {
  const srv = await startApiServer({ port: 0, clientCA: ca, authorization: 'RBAC', requestTimeoutSeconds: 1 });
  try {
    const long = await raw(srv, `GET /api/v1/namespaces/default/configmaps?x=${'a'.repeat(17 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(long.head, /^HTTP\/1.1 (414|431) /);
    const method = await raw(srv, 'FOO /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(method.head, /^HTTP\/1.1 405 /);
    assert.equal(JSON.parse(method.body).kind, 'Status');
    const start = Date.now();
    const slow = await raw(srv, 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"metadata"', 5000);
    assert.match(slow.head, /^HTTP\/1.1 504 /);
    assert.match(slow.body, /request did not complete within the allotted timeout/);
    assert.ok(Date.now() - start < 4000 && Date.now() - start >= 900);
    const future = await raw(srv, 'GET /api/v1/namespaces/default/configmaps?watch=true&resourceVersion=99999999 HTTP/1.1\r\nHost: x\r\n\r\n', 6000);
    assert.match(future.head, /^HTTP\/1.1 504 /);
    const status = JSON.parse(future.body) as { message: string; reason: string; details: { causes: { reason: string }[]; retryAfterSeconds: number } };
    assert.match(status.message, /^Timeout: Too large resource version: 99999999, current: \d+$/);
    assert.equal(status.details.causes[0]!.reason, 'ResourceVersionTooLarge');
    const list = await raw(srv, 'GET /api/v1/namespaces/default/configmaps?resourceVersion=99999999 HTTP/1.1\r\nHost: x\r\n\r\n', 6000);
    assert.match(list.head, /^HTTP\/1.1 504 /);
    // Here the 1 s request timeout answers first; with the default 60 s it is "Too large resource version".
    assert.match(list.body, /"reason":"Timeout"/);
    const forever = await raw(srv, 'GET /api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1000000000000 HTTP/1.1\r\nHost: x\r\n\r\n', 1500);
    assert.match(forever.head, /^HTTP\/1.1 200 /);
    assert.equal(forever.ended, false, 'a huge timeoutSeconds must not overflow the timer and end the watch at once');
  } finally {
    await srv.close();
  }
});
