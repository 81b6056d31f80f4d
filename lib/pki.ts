/**
 * X.509 primitives shared by the API server (its own serving and client certificates), the bootstrap
 * phases (kubeadm's PKI) and the controllers (a cluster's shared CAs).
 *
 * Keys are generated and signatures made by Node's crypto (native, fast); node-forge encodes the ASN.1 of
 * certificates and CSRs, which Node's crypto cannot build. Keys are RSA-2048 by default (kubeadm's default), or any
 * of kubeadm's encryptionAlgorithm choices (RSA-2048/3072/4096, ECDSA-P256/P384). PEM is written as Go's encoding/pem
 * writes it: LF line endings, 64-character lines.
 */
import {
  createHash, createPrivateKey, type KeyObject, createPublicKey, generateKeyPair, generateKeyPairSync, randomBytes, sign as cryptoSign,
  verify as cryptoVerify, X509Certificate,
} from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

export type Usage = 'server' | 'client';

export interface CertSpec {
  commonName: string;
  organization?: string[];
  /** DNS names and IP addresses for the subjectAltName extension; IPs are told apart by their syntax. */
  altNames?: string[];
  usages: Usage[];
  /** Days from now; kubeadm's default for leaf certificates is one year. */
  validityDays?: number;
}

export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** Certificates are back-dated a little so that a clock a few minutes behind still accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;

/**
 * kubeadm's ClusterConfiguration.encryptionAlgorithm: the key type of every key it generates (CAs, leaves, the
 * service-account key). RSA keys are written as PKCS#1 ("RSA PRIVATE KEY"), ECDSA keys as SEC 1 ("EC PRIVATE KEY"),
 * as kubeadm's keyutil does.
 */
export const ENCRYPTION_ALGORITHMS = ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'RSA-3072', 'RSA-4096'] as const;
export type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];
export const DEFAULT_ENCRYPTION_ALGORITHM: EncryptionAlgorithm = 'RSA-2048';

type KeyGenArgs = ['rsa', { modulusLength: number; publicKeyEncoding: { type: 'spki'; format: 'pem' }; privateKeyEncoding: { type: 'pkcs1'; format: 'pem' } }]
  | ['ec', { namedCurve: string; publicKeyEncoding: { type: 'spki'; format: 'pem' }; privateKeyEncoding: { type: 'sec1'; format: 'pem' } }];

function keyGenArgs(alg: EncryptionAlgorithm | number): KeyGenArgs {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  if (alg === 'ECDSA-P256' || alg === 'ECDSA-P384') {
    return ['ec', { namedCurve: alg === 'ECDSA-P256' ? 'prime256v1' : 'secp384r1', publicKeyEncoding, privateKeyEncoding: { type: 'sec1', format: 'pem' } }];
  }
  const bits = typeof alg === 'number' ? alg : Number(alg.slice(4));
  return ['rsa', { modulusLength: bits, publicKeyEncoding, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } }];
}

/** A new private key of the given algorithm (default RSA-2048, kubeadm's default); a number is an RSA size. */
export function newPrivateKey(alg: EncryptionAlgorithm | number = DEFAULT_ENCRYPTION_ALGORITHM): string {
  const [type, opts] = keyGenArgs(alg);
  return (type === 'rsa' ? generateKeyPairSync('rsa', opts) : generateKeyPairSync('ec', opts)).privateKey;
}

/** Like newPrivateKey, but off the event loop (libuv's thread pool), for many keys at once. */
export async function newPrivateKeyAsync(alg: EncryptionAlgorithm | number = DEFAULT_ENCRYPTION_ALGORITHM): Promise<string> {
  const [type, opts] = keyGenArgs(alg);
  return (type === 'rsa' ? await generateKeyPairAsync('rsa', opts) : await generateKeyPairAsync('ec', opts)).privateKey;
}

/** The PKIX ("PUBLIC KEY") PEM of a private key's public half, as in kubeadm's sa.pub. */
export function publicKeyPem(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * Parsed CA keys by PEM: a CA signs every node's certificate with the same key, and parsing it costs more than
 * the signature. Only CA keys (a handful per cluster); bounded all the same.
 */
const signingKeys = new Map<string, KeyObject>();
function caSigningKey(keyPem: string): KeyObject {
  let key = signingKeys.get(keyPem);
  if (!key) {
    key = createPrivateKey(keyPem);
    if (signingKeys.size >= 32) signingKeys.delete(signingKeys.keys().next().value!);
    signingKeys.set(keyPem, key);
  }
  return key;
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  if (bytes[0] === 0) bytes[0] = 1; // and minimally encoded (no leading zero octet)
  return bytes.toString('hex');
}

function subjectAttrs(commonName: string, organization: string[] = []): forge.pki.CertificateField[] {
  return [
    ...organization.map((o) => ({ shortName: 'O', value: o })),
    { shortName: 'CN', value: commonName },
  ];
}

function altNamesExtension(altNames: string[]): { name: string; altNames: { type: number; value?: string; ip?: string }[] } {
  return {
    name: 'subjectAltName',
    altNames: altNames.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })),
  };
}

// ---- DER assembly --------------------------------------------------------------------------------------------
//
// node-forge encodes names, validity and extensions, but its keys and signatures are RSA only. The certificate is
// therefore assembled here: forge's TBSCertificate with the real SubjectPublicKeyInfo (any key type, from Node's
// crypto) and the issuer's algorithm put in, signed natively (RSA PKCS#1 v1.5 or ECDSA, SHA-256, or SHA-384 for P-384,
// the choices Go's x509.CreateCertificate makes).

const asn1 = forge.asn1;
/** forge exports these encoders at run time; its type definitions leave them out. */
const forgePki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
  getCertificationRequestInfo(csr: forge.pki.CertificateSigningRequest): forge.asn1.Asn1;
};
/** forge needs some RSA public key to build a TBSCertificate; it is replaced before signing. */
const PLACEHOLDER_KEY = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3'));

const OID = { sha256WithRSA: '1.2.840.113549.1.1.11', ecdsaWithSHA256: '1.2.840.10045.4.3.2', ecdsaWithSHA384: '1.2.840.10045.4.3.3' };

function signatureAlgorithm(key: KeyObject): { oid: string; hash: 'sha256' | 'sha384'; params: boolean } {
  if (key.asymmetricKeyType === 'rsa') return { oid: OID.sha256WithRSA, hash: 'sha256', params: true };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'secp384r1' ? { oid: OID.ecdsaWithSHA384, hash: 'sha384', params: false } : { oid: OID.ecdsaWithSHA256, hash: 'sha256', params: false };
  }
  throw new Error(`pki: ${key.asymmetricKeyType ?? 'unknown'} keys cannot sign certificates here (RSA and ECDSA can)`);
}

function algorithmIdentifier(a: { oid: string; params: boolean }): forge.asn1.Asn1 {
  // RSA's AlgorithmIdentifier carries NULL parameters; ECDSA's has none (RFC 5758 §3.2)
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(a.oid).getBytes()),
    ...(a.params ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')] : []),
  ]);
}

const derOf = (a: forge.asn1.Asn1): Buffer => Buffer.from(asn1.toDer(a).getBytes(), 'binary');
// BIT STRINGs stay opaque: an EC point or a signature is not ASN.1, and must round-trip byte for byte
const fromDer = (b: Buffer): forge.asn1.Asn1 => asn1.fromDer(forge.util.createBuffer(b.toString('binary')), { decodeBitStrings: false } as unknown as boolean);

/** The subject key identifier Go computes: SHA-1 of the subjectPublicKey BIT STRING's bytes. */
function keyIdentifier(publicKey: KeyObject): string {
  const spki = fromDer(publicKey.export({ type: 'spki', format: 'der' }));
  const bits = (spki.value as forge.asn1.Asn1[])[1]!.value as string;
  return createHash('sha1').update(Buffer.from(bits.slice(1), 'binary')).digest().toString('binary');
}

/** The subject Name of a certificate, as DER (any key type). */
function subjectNameOf(certPem: string): forge.asn1.Asn1 {
  const tbs = (fromDer(new X509Certificate(certPem).raw).value as forge.asn1.Asn1[])[0]!;
  const fields = tbs.value as forge.asn1.Asn1[];
  const hasVersion = fields[0]!.tagClass === asn1.Class.CONTEXT_SPECIFIC;
  return fields[hasVersion ? 5 : 4]!;
}

/** PEM with LF line endings and 64-character lines, as Go's encoding/pem writes it. */
export function toPem(type: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${type}-----\n${b64}\n-----END ${type}-----\n`;
}

interface CertTemplate {
  subject: forge.pki.CertificateField[];
  /** The issuer's certificate; undefined for a self-signed one. */
  issuerCertPem?: string;
  subjectPublicKey: KeyObject;
  signerKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
}

function buildCertificate(t: CertTemplate): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = PLACEHOLDER_KEY;
  cert.siginfo.algorithmOid = OID.sha256WithRSA; // replaced by the signer's below
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = t.notBefore;
  cert.validity.notAfter = t.notAfter;
  cert.setSubject(t.subject);
  cert.setIssuer(t.subject);
  cert.setExtensions(t.extensions);
  const alg = signatureAlgorithm(t.signerKey);
  const tbs = forgePki.getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  fields[2] = algorithmIdentifier(alg);
  if (t.issuerCertPem) fields[3] = subjectNameOf(t.issuerCertPem);
  fields[6] = fromDer(t.subjectPublicKey.export({ type: 'spki', format: 'der' }));
  const tbsDer = derOf(tbs);
  const signature = cryptoSign(alg.hash, tbsDer, t.signerKey);
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs, algorithmIdentifier(alg), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00' + signature.toString('binary')),
  ]);
  return toPem('CERTIFICATE', derOf(certificate));
}

function validityWindow(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * 24 * 3600 * 1000) };
}

/** A self-signed CA: basicConstraints CA:TRUE (critical), keyCertSign + digitalSignature + keyEncipherment. */
export function newSelfSignedCA(commonName: string, opts: { keyPem?: string; validityDays?: number; organization?: string[] } = {}): CertAndKey {
  const keyPem = opts.keyPem ?? newPrivateKey();
  const key = createPrivateKey(keyPem);
  const pub = createPublicKey(key);
  const certPem = buildCertificate({
    subject: subjectAttrs(commonName, opts.organization),
    subjectPublicKey: pub,
    signerKey: key,
    ...validityWindow(opts.validityDays ?? CA_VALIDITY_DAYS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'subjectKeyIdentifier', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, keyIdentifier(pub)) },
    ],
  });
  return { certPem, keyPem };
}

function leafExtensions(usages: Usage[], altNames: string[] | undefined, caPublicKey: KeyObject): object[] {
  const exts: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: usages.includes('server'), clientAuth: usages.includes('client') },
    { name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifier(caPublicKey) },
  ];
  if (altNames && altNames.length > 0) exts.push(altNamesExtension(altNames));
  return exts;
}

/** Issues a certificate for spec, signed by ca (RSA or ECDSA). A fresh RSA-2048 key is generated unless keyPem is given. */
export function signCert(spec: CertSpec, ca: CertAndKey, keyPem: string = newPrivateKey()): CertAndKey {
  const caPublic = new X509Certificate(ca.certPem).publicKey;
  const certPem = buildCertificate({
    subject: subjectAttrs(spec.commonName, spec.organization),
    issuerCertPem: ca.certPem,
    subjectPublicKey: createPublicKey(keyPem),
    signerKey: caSigningKey(ca.keyPem),
    ...validityWindow(spec.validityDays ?? LEAF_VALIDITY_DAYS),
    extensions: leafExtensions(spec.usages, spec.altNames, caPublic),
  });
  return { certPem, keyPem };
}

/** A PKCS#10 certificate signing request for the given subject, signed with keyPem (RSA or ECDSA). */
export function newCsr(keyPem: string, commonName: string, organization: string[] = []): string {
  const key = createPrivateKey(keyPem);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = PLACEHOLDER_KEY;
  csr.setSubject(subjectAttrs(commonName, organization));
  const info = forgePki.getCertificationRequestInfo(csr);
  (info.value as forge.asn1.Asn1[])[2] = fromDer(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  const alg = signatureAlgorithm(key);
  const signature = cryptoSign(alg.hash, derOf(info), key);
  const req = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    info, algorithmIdentifier(alg), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00' + signature.toString('binary')),
  ]);
  return toPem('CERTIFICATE REQUEST', derOf(req));
}

export interface CsrInfo {
  commonName: string;
  organization: string[];
  publicKeyPem: string;
}

interface ParsedCsr extends CsrInfo {
  subject: forge.asn1.Asn1;
  publicKey: KeyObject;
}

const HASH_OF_SIGNATURE: Record<string, string> = {
  [OID.sha256WithRSA]: 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
  [OID.ecdsaWithSHA256]: 'sha256', [OID.ecdsaWithSHA384]: 'sha384', '1.2.840.10045.4.3.4': 'sha512',
};

/** A PEM CSR (RSA or ECDSA), its self-signature checked. */
function readCsr(csrPem: string): ParsedCsr {
  const m = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]+?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(csrPem);
  if (!m) throw new Error('certificate signing request: not a PEM CERTIFICATE REQUEST');
  let info: forge.asn1.Asn1; let sigAlg: string; let sig: Buffer;
  try {
    const req = fromDer(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')).value as forge.asn1.Asn1[];
    info = req[0]!;
    sigAlg = asn1.derToOid(forge.util.createBuffer(((req[1]!.value as forge.asn1.Asn1[])[0]!.value) as string));
    sig = Buffer.from((req[2]!.value as string).slice(1), 'binary');
  } catch (err) {
    throw new Error(`certificate signing request: not valid DER: ${(err as Error).message}`);
  }
  const fields = info.value as forge.asn1.Asn1[];
  const publicKey = createPublicKey({ key: derOf(fields[2]!), format: 'der', type: 'spki' });
  const hash = HASH_OF_SIGNATURE[sigAlg];
  if (!hash || !cryptoVerify(hash, derOf(info), publicKey, sig)) throw new Error('certificate signing request signature is invalid');
  const attrs: { oid: string; value: string }[] = [];
  for (const rdn of fields[1]!.value as forge.asn1.Asn1[]) {
    for (const atv of rdn.value as forge.asn1.Asn1[]) {
      const [oid, value] = atv.value as forge.asn1.Asn1[];
      attrs.push({ oid: asn1.derToOid(forge.util.createBuffer(oid!.value as string)), value: forge.util.decodeUtf8(value!.value as string) });
    }
  }
  return {
    commonName: attrs.find((a) => a.oid === '2.5.4.3')?.value ?? '',
    organization: attrs.filter((a) => a.oid === '2.5.4.10').map((a) => a.value),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    subject: fields[1]!,
    publicKey,
  };
}

/** Reads a PEM CSR and checks its self-signature. */
export function parseCsr(csrPem: string): CsrInfo {
  const { commonName, organization, publicKeyPem } = readCsr(csrPem);
  return { commonName, organization, publicKeyPem };
}

/** Signs a CSR with ca for the given usages, keeping the CSR's subject, as the kube-controller-manager signer does. */
export function signCsr(csrPem: string, ca: CertAndKey, usages: Usage[], validityDays = LEAF_VALIDITY_DAYS): string {
  const csr = readCsr(csrPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = PLACEHOLDER_KEY;
  cert.siginfo.algorithmOid = OID.sha256WithRSA; // replaced by the signer's below
  cert.serialNumber = randomSerial();
  const w = validityWindow(validityDays);
  cert.validity.notBefore = w.notBefore;
  cert.validity.notAfter = w.notAfter;
  cert.setExtensions(leafExtensions(usages, undefined, new X509Certificate(ca.certPem).publicKey));
  const signerKey = caSigningKey(ca.keyPem);
  const alg = signatureAlgorithm(signerKey);
  const tbs = forgePki.getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  fields[2] = algorithmIdentifier(alg);
  fields[3] = subjectNameOf(ca.certPem);
  fields[5] = csr.subject;
  fields[6] = fromDer(csr.publicKey.export({ type: 'spki', format: 'der' }));
  const signature = cryptoSign(alg.hash, derOf(tbs), signerKey);
  return toPem('CERTIFICATE', derOf(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs, algorithmIdentifier(alg), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00' + signature.toString('binary')),
  ])));
}

/**
 * kubeadm's discovery-token CA cert hash: "sha256:" + hex SHA-256 of the CA certificate's
 * DER-encoded SubjectPublicKeyInfo.
 */
export function caCertHash(caCertPem: string): string {
  const spki = new X509Certificate(caCertPem).publicKey.export({ type: 'spki', format: 'der' });
  return 'sha256:' + createHash('sha256').update(spki).digest('hex');
}

/** True when certPem was issued by caPem (signature and issuer name), and is within its validity period. */
export function verifyIssuedBy(certPem: string, caPem: string, at: Date = new Date()): boolean {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  return new Date(cert.validFrom) <= at && at <= new Date(cert.validTo);
}

/** True when keyPem is the private key of certPem. */
export function keyMatchesCert(keyPem: string, certPem: string): boolean {
  const fromKey = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const fromCert = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return Buffer.compare(fromKey, fromCert) === 0;
}
