// Formats checked with tools clusterd did not write: openssl, python3-jwt, python3-cryptography, and
// cluster-bootstrap's own known-answer vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeJWS, verifyJWS, newBootstrapToken, bootstrapTokenSecret } from '../../bootstrap/tokens.js';
import { encryptCerts, decryptCerts, newCertificateKey } from '../../bootstrap/copycerts.js';
import { runAgent } from '../../bootstrap/agent.js';
import { caCertHash } from '../../lib/pki.js';

const PY = '/usr/bin/python3';
const py = (code: string, ...args: string[]): string => execFileSync(PY, ['-c', code, ...args], { encoding: 'utf8' }).trim();

test('computeJWS reproduces cluster-bootstrap\'s known-answer vectors', () => {
  // jws_test.go in k8s.io/cluster-bootstrap
  const content = 'Hello from the other side. I must have called a thousand times.';
  assert.equal(computeJWS(content, 'joshua', 'my voice is my passcode'), 'eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8');
  assert.equal(computeJWS('', 'joshua', 'my voice is my passcode'), 'eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk');
  assert.equal(computeJWS(content, 'joshua', ''), 'eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..UfkqvDGiIFxrMnFseDj9LYJOLNrvjW8aHhF71mvvAs8');
  assert.equal(Buffer.from(computeJWS('x', 'abcdef', 's').split('.')[0]!, 'base64url').toString(), '{"alg":"HS256","kid":"abcdef"}');
});

test('cluster-info JWS interoperates with python3-jwt both ways', () => {
  const token = newBootstrapToken();
  const [id, secret] = token.split('.') as [string, string];
  const content = 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.1:6443\n  name: ""\n';
  const ours = computeJWS(content, id, secret);
  const [h, , s] = ours.split('.');
  const payload = Buffer.from(content).toString('base64url');
  const verified = py('import jwt,sys; print(jwt.api_jws.decode_complete(sys.argv[1], key=sys.argv[2].encode(), algorithms=["HS256"])["payload"].decode())', `${h}.${payload}.${s}`, secret);
  assert.equal(verified + '\n', content);
  const theirs = py('import jwt,sys; print(jwt.api_jws.encode(sys.argv[1].encode(), sys.argv[2].encode(), algorithm="HS256", headers={"kid": sys.argv[3]}))', content, secret, id);
  const [th, , ts] = theirs.split('.');
  assert.ok(verifyJWS(`${th}..${ts}`, content, id, secret), 'a python3-jwt signature verifies here');
  assert.ok(!verifyJWS(`${th}..${ts}`, content, 'zzzzzz', secret), 'the kid must name the token');
  assert.ok(verifyJWS(ours, content, id, secret));
  assert.ok(!verifyJWS(ours, content + ' ', id, secret), 'a changed payload fails');
});

test('kubeadm-certs entries interoperate with python3-cryptography AES-GCM (nonce || ciphertext || tag)', () => {
  const key = newCertificateKey();
  assert.match(key, /^[0-9a-f]{64}$/);
  const data = encryptCerts({ 'etcd/ca.crt': '-----BEGIN CERTIFICATE-----\nabc\n' }, key);
  assert.deepEqual(Object.keys(data), ['etcd-ca.crt']);
  const plain = py('import sys,base64; from cryptography.hazmat.primitives.ciphers.aead import AESGCM; b=base64.b64decode(sys.argv[1]); print(AESGCM(bytes.fromhex(sys.argv[2])).decrypt(b[:12], b[12:], None).decode(), end="")', data['etcd-ca.crt']!, key);
  assert.equal(plain + '\n', '-----BEGIN CERTIFICATE-----\nabc\n');
  const theirs = py('import sys,os,base64; from cryptography.hazmat.primitives.ciphers.aead import AESGCM; n=os.urandom(12); print(base64.b64encode(n+AESGCM(bytes.fromhex(sys.argv[2])).encrypt(n, sys.argv[1].encode(), None)).decode())', 'sa-key-bytes', key);
  assert.equal(decryptCerts({ 'sa.key': theirs }, key)['sa.key']!.toString(), 'sa-key-bytes');
  assert.throws(() => decryptCerts(data, newCertificateKey()), /certificate key does not match/);
});

test('bootstrap token Secret has the standard keys', () => {
  const s = bootstrapTokenSecret('abcdef.0123456789abcdef', { ttlSeconds: 3600, now: new Date('2024-01-01T00:00:00Z') });
  const d = Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  assert.deepEqual(d, {
    'token-id': 'abcdef', 'token-secret': '0123456789abcdef', expiration: '2024-01-01T01:00:00Z', 'usage-bootstrap-signing': 'true',
    'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
  });
  assert.equal(s.metadata.name, 'bootstrap-token-abcdef');
  assert.match(newBootstrapToken(), /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  assert.throws(() => bootstrapTokenSecret('ABCDEF.0123456789abcdef'), (e: Error) => !e.message.includes('0123456789abcdef'));
});

test('openssl accepts every chain and shows kubeadm\'s subjects, SANs and usages', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'clusterd-pki-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  let out = '';
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) } };
  const code = await runAgent(['init', 'phase', 'certs', '--root', root, '--node-name', 'cp-0', '--apiserver-advertise-address', '10.0.0.5',
    '--control-plane-endpoint', 'api.example.com:6443', '--apiserver-cert-extra-sans', 'extra.example.com,192.168.1.1'], io);
  assert.equal(code, 0, out);
  const dir = join(root, 'etc/kubernetes/pki');
  const x509 = (f: string): string => execFileSync('openssl', ['x509', '-in', join(dir, f), '-noout', '-text'], { encoding: 'utf8' });
  const verify = (ca: string, f: string): void => assert.match(execFileSync('openssl', ['verify', '-CAfile', join(dir, ca), join(dir, f)], { encoding: 'utf8' }), /: OK/);
  for (const f of ['apiserver.crt', 'apiserver-kubelet-client.crt']) verify('ca.crt', f);
  verify('front-proxy-ca.crt', 'front-proxy-client.crt');
  for (const f of ['etcd/server.crt', 'etcd/peer.crt', 'etcd/healthcheck-client.crt', 'apiserver-etcd-client.crt']) verify('etcd/ca.crt', f);
  const api = x509('apiserver.crt');
  assert.match(api, /Subject: CN\s*=\s*kube-apiserver/);
  for (const san of ['DNS:cp-0', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
    'DNS:api.example.com', 'DNS:extra.example.com', 'IP Address:10.96.0.1', 'IP Address:10.0.0.5', 'IP Address:192.168.1.1']) assert.ok(api.includes(san), san);
  assert.match(api, /TLS Web Server Authentication/);
  assert.match(api, /Digital Signature, Key Encipherment/);
  assert.match(x509('apiserver-kubelet-client.crt'), /Subject: O\s*=\s*system:masters, CN\s*=\s*kube-apiserver-kubelet-client[\s\S]*TLS Web Client Authentication/);
  assert.match(x509('front-proxy-client.crt'), /CN\s*=\s*front-proxy-client/);
  assert.match(x509('etcd/server.crt'), /TLS Web Server Authentication, TLS Web Client Authentication[\s\S]*DNS:localhost/);
  for (const ca of ['ca.crt', 'front-proxy-ca.crt', 'etcd/ca.crt']) {
    const text = x509(ca);
    assert.match(text, /CA:TRUE/);
    assert.match(text, /Certificate Sign/);
    const notAfter = new Date(/Not After : (.*)/.exec(text)![1]!);
    assert.ok(notAfter.getTime() - Date.now() > 9.9 * 365 * 86400_000, `${ca} lasts ten years`);
  }
  const leafAfter = new Date(/Not After : (.*)/.exec(api)![1]!);
  assert.ok(leafAfter.getTime() - Date.now() < 366 * 86400_000, 'leaves last one year');
  const spki = execFileSync('sh', ['-c', `openssl x509 -in '${join(dir, 'ca.crt')}' -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`], { encoding: 'utf8' });
  assert.equal(caCertHash(execFileSync('cat', [join(dir, 'ca.crt')], { encoding: 'utf8' })), `sha256:${spki.split(' ')[0]}`);
  // a second run reuses every valid file
  out = '';
  assert.equal(await runAgent(['init', 'phase', 'certs', '--root', root, '--node-name', 'cp-0', '--apiserver-advertise-address', '10.0.0.5',
    '--control-plane-endpoint', 'api.example.com:6443', '--apiserver-cert-extra-sans', 'extra.example.com,192.168.1.1'], io), 0, out);
  assert.doesNotMatch(out, /Generating/);
  // external CA mode: ca.crt without ca.key and a missing leaf is an error naming the file
  rmSync(join(dir, 'ca.key'));
  rmSync(join(dir, 'apiserver.crt'));
  writeFileSync(join(dir, 'unused'), '');
  out = '';
  assert.equal(await runAgent(['init', 'phase', 'certs/apiserver', '--root', root, '--node-name', 'cp-0', '--apiserver-advertise-address', '10.0.0.5'], io), 1);
  assert.match(out, /external CA mode[\s\S]*apiserver\.crt/);
});
