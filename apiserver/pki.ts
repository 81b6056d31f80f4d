/**
 * The server's own PKI: a CA (also trusted for client certificates unless another is given), a serving
 * certificate for 127.0.0.1, localhost and the bind address, and the admin client certificate. With a data
 * directory they are kept in DIR/pki and reused on restart, so kubeconfigs written earlier stay valid.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { newSelfSignedCA, signCert, type CertAndKey } from '../lib/pki.js';

export interface ServerPki {
  /** CA that issued the serving certificate (what clients put in certificate-authority-data). */
  caPem: string;
  serving: CertAndKey;
  clientCA: { certPem: string; keyPem?: string };
}

function loadOrCreate(dir: string | undefined, name: string, make: () => CertAndKey): CertAndKey {
  if (dir) {
    const crt = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    if (existsSync(crt) && existsSync(key)) return { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
    const made = make();
    writeFileSync(key, made.keyPem, { mode: 0o600 });
    writeFileSync(crt, made.certPem, { mode: 0o644 });
    return made;
  }
  return make();
}

function coversHosts(certPem: string, hosts: string[]): boolean {
  const x = new X509Certificate(certPem);
  const sans = x.subjectAltName ?? '';
  return hosts.every((h) => sans.includes(`:${h}`)) && new Date(x.validTo) > new Date(Date.now() + 24 * 3600 * 1000);
}

export function setupPki(opts: {
  dataDir?: string; bindAddress: string; tls?: CertAndKey; clientCA?: { certPem: string; keyPem?: string };
}): ServerPki {
  const dir = opts.dataDir ? join(opts.dataDir, 'pki') : undefined;
  if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  // With a serving certificate given (kubeadm's apiserver.crt), nothing needs generating: its issuer is the client CA.
  if (opts.tls && opts.clientCA) return { caPem: opts.clientCA.certPem, serving: opts.tls, clientCA: opts.clientCA };
  const ca = opts.clientCA?.keyPem
    ? { certPem: opts.clientCA.certPem, keyPem: opts.clientCA.keyPem }
    : loadOrCreate(dir, 'ca', () => newSelfSignedCA('clusterd-apiserver-ca'));
  const clientCA = opts.clientCA ?? ca;
  // A serving certificate without its CA is taken as self-signed; clients are told to trust it directly.
  if (opts.tls) return { caPem: opts.tls.certPem, serving: opts.tls, clientCA };
  const hosts = [...new Set(['127.0.0.1', 'localhost', opts.bindAddress].filter((h) => h && h !== '0.0.0.0' && h !== '::'))];
  const makeServing = (): CertAndKey => signCert({ commonName: 'kube-apiserver', altNames: [...hosts, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'], usages: ['server'] }, ca);
  let serving = loadOrCreate(dir, 'apiserver', makeServing);
  if (!coversHosts(serving.certPem, hosts)) {
    serving = makeServing();
    if (dir) {
      writeFileSync(join(dir, 'apiserver.key'), serving.keyPem, { mode: 0o600 });
      writeFileSync(join(dir, 'apiserver.crt'), serving.certPem);
    }
  }
  return { caPem: ca.certPem, serving, clientCA };
}

/** The admin client certificate (CN=kubernetes-admin, O=system:masters), kept next to the CA when persistent. */
export function adminCredentials(pki: ServerPki, dataDir: string | undefined): CertAndKey {
  const ca = pki.clientCA;
  if (!ca.keyPem) throw new Error('cannot mint an admin kubeconfig: the client CA was given without its key');
  const dir = dataDir ? join(dataDir, 'pki') : undefined;
  return loadOrCreate(dir, 'admin', () => signCert({ commonName: 'kubernetes-admin', organization: ['system:masters'], usages: ['client'] }, { certPem: ca.certPem, keyPem: ca.keyPem! }));
}
