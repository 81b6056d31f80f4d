import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { caCertHash, keyMatchesCert, newCsr, newSelfSignedCA, parseCsr, signCert, signCsr, verifyIssuedBy } from '../../lib/pki.js';

test('a CA-signed server certificate verifies with openssl and carries its SANs and usages', () => {
  const ca = newSelfSignedCA('kubernetes');
  const leaf = signCert({ commonName: 'kube-apiserver', altNames: ['kubernetes', '10.96.0.1', 'localhost'], usages: ['server'] }, ca);
  const dir = mkdtempSync(join(tmpdir(), 'pki-'));
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  writeFileSync(join(dir, 'leaf.crt'), leaf.certPem);
  const out = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'leaf.crt')]).toString();
  assert.match(out, /leaf\.crt: OK/);
  const x = new X509Certificate(leaf.certPem);
  assert.match(x.subjectAltName ?? '', /DNS:kubernetes/);
  assert.match(x.subjectAltName ?? '', /IP Address:10\.96\.0\.1/);
  assert.equal(x.ca, false);
  assert.equal(new X509Certificate(ca.certPem).ca, true);
  assert.ok(verifyIssuedBy(leaf.certPem, ca.certPem));
  assert.ok(keyMatchesCert(leaf.keyPem, leaf.certPem));
  assert.ok(!keyMatchesCert(ca.keyPem, leaf.certPem));
});

test('caCertHash equals openssl\'s SHA-256 of the SubjectPublicKeyInfo', () => {
  const ca = newSelfSignedCA('kubernetes');
  const dir = mkdtempSync(join(tmpdir(), 'pki-'));
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout', '-in', join(dir, 'ca.crt')]);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  const hex = execFileSync('sha256sum', [], { input: der }).toString().split(' ')[0];
  assert.equal(caCertHash(ca.certPem), `sha256:${hex}`);
});

test('a CSR keeps its subject when signed, and a tampered CSR is refused', () => {
  const ca = newSelfSignedCA('kubernetes');
  const key = signCert({ commonName: 'x', usages: ['client'] }, ca).keyPem;
  const csr = newCsr(key, 'system:node:worker-1', ['system:nodes']);
  const info = parseCsr(csr);
  assert.equal(info.commonName, 'system:node:worker-1');
  assert.deepEqual(info.organization, ['system:nodes']);
  const cert = new X509Certificate(signCsr(csr, ca, ['client']));
  assert.match(cert.subject, /CN=system:node:worker-1/);
  assert.match(cert.subject, /O=system:nodes/);
  const body = csr.split('\n');
  body[3] = body[3]!.slice(0, 10) + (body[3]![10] === 'A' ? 'B' : 'A') + body[3]!.slice(11);
  assert.throws(() => parseCsr(body.join('\n')));
});
