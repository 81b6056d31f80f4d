import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import {
  caCertHash, ENCRYPTION_ALGORITHMS, type EncryptionAlgorithm, keyMatchesCert, newCsr, newPrivateKey, newSelfSignedCA, parseCsr, signCert, signCsr, verifyIssuedBy,
} from '../../lib/pki.js';

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

test('every kubeadm encryptionAlgorithm: CA and leaf verify with openssl, keys in kubeadm\'s PEM types, Go\'s signature algorithms', () => {
  const want: Record<EncryptionAlgorithm, { keyType: string; sig: RegExp; pub: RegExp }> = {
    'RSA-2048': { keyType: 'RSA PRIVATE KEY', sig: /sha256WithRSAEncryption/, pub: /Public-Key: \(2048 bit\)/ },
    'RSA-3072': { keyType: 'RSA PRIVATE KEY', sig: /sha256WithRSAEncryption/, pub: /Public-Key: \(3072 bit\)/ },
    'RSA-4096': { keyType: 'RSA PRIVATE KEY', sig: /sha256WithRSAEncryption/, pub: /Public-Key: \(4096 bit\)/ },
    'ECDSA-P256': { keyType: 'EC PRIVATE KEY', sig: /ecdsa-with-SHA256/, pub: /NIST CURVE: P-256|prime256v1/ },
    'ECDSA-P384': { keyType: 'EC PRIVATE KEY', sig: /ecdsa-with-SHA384/, pub: /NIST CURVE: P-384|secp384r1/ },
  };
  assert.deepEqual([...ENCRYPTION_ALGORITHMS].sort(), Object.keys(want).sort());
  const dir = mkdtempSync(join(tmpdir(), 'pki-alg-'));
  for (const alg of ENCRYPTION_ALGORITHMS) {
    const ca = newSelfSignedCA('kubernetes', { keyPem: newPrivateKey(alg) });
    const leaf = signCert({ commonName: 'kube-apiserver', altNames: ['kubernetes', '10.96.0.1'], usages: ['server', 'client'] }, ca, newPrivateKey(alg));
    assert.ok(ca.keyPem.startsWith(`-----BEGIN ${want[alg].keyType}-----\n`), alg);
    for (const pem of [ca.certPem, ca.keyPem, leaf.certPem, leaf.keyPem]) assert.ok(!pem.includes('\r'), `${alg}: LF line endings only`);
    writeFileSync(join(dir, `${alg}-ca.crt`), ca.certPem);
    writeFileSync(join(dir, `${alg}-leaf.crt`), leaf.certPem);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', join(dir, `${alg}-ca.crt`), join(dir, `${alg}-leaf.crt`)]).toString(), /OK/, alg);
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, `${alg}-leaf.crt`)]).toString();
    assert.match(text, want[alg].sig, alg);
    assert.match(text, want[alg].pub, alg);
    assert.match(text, /X509v3 Authority Key Identifier/, alg);
    // the leaf's AKI is the CA's SKI, as Go links them
    const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, `${alg}-ca.crt`)]).toString())?.[1];
    assert.ok(ski && text.includes(ski), `${alg}: AKI = CA SKI`);
    assert.ok(verifyIssuedBy(leaf.certPem, ca.certPem) && keyMatchesCert(leaf.keyPem, leaf.certPem), alg);
  }
});

test('CSRs with ECDSA keys are made, read and signed by an RSA CA; PEM blocks are LF-only', () => {
  const ca = newSelfSignedCA('kubernetes');
  const key = newPrivateKey('ECDSA-P256');
  const csr = newCsr(key, 'system:node:w-0', ['system:nodes']);
  assert.ok(csr.startsWith('-----BEGIN CERTIFICATE REQUEST-----\n') && !csr.includes('\r'));
  assert.deepEqual({ ...parseCsr(csr), publicKeyPem: undefined }, { commonName: 'system:node:w-0', organization: ['system:nodes'], publicKeyPem: undefined });
  const cert = signCsr(csr, ca, ['client']);
  assert.ok(keyMatchesCert(key, cert) && verifyIssuedBy(cert, ca.certPem));
  assert.match(new X509Certificate(cert).subject, /O=system:nodes/);
  assert.ok(!cert.includes('\r'));
});
