/**
 * The kubelet's TLS bootstrap, performed by the agent because clusterd's machines have no kubelet to do it: a CSR
 * for system:node:<name> in system:nodes, sent with the bootstrap token, then a watch until it is approved and signed.
 */
import { Watch, type V1CertificateSigningRequest } from '@kubernetes/client-node';
import { newCsr, newPrivateKeyAsync, verifyIssuedBy, keyMatchesCert } from '../lib/pki.js';
import { kubeconfigYaml } from '../lib/kubeconfig.js';
import * as C from './constants.js';
import type { HostFS, Printer } from './context.js';
import { ClusterClient, describeApiError } from './api/client.js';

export interface TLSBootstrapInput {
  fs: HostFS;
  out: Printer;
  server: string;
  caPem: string;
  clusterName: string;
  token: string;
  nodeName: string;
  timeoutMs: number;
}

export function bootstrapKubeconfig(server: string, caPem: string, clusterName: string, token: string): string {
  return kubeconfigYaml({ clusterName, server, caPem, userName: 'tls-bootstrap-token-user', token });
}

/** kubelet.conf as the kubelet writes it after bootstrap: credentials in the rotating kubelet-client-current.pem. */
export function kubeletConfAfterBootstrap(server: string, caPem: string): string {
  return kubeconfigYaml({
    clusterName: 'default-cluster', server, caPem, userName: 'default-auth', contextName: 'default-context',
    clientCertificatePath: C.KUBELET_CLIENT_CURRENT, clientKeyPath: C.KUBELET_CLIENT_CURRENT,
  });
}

export async function kubeletTLSBootstrap(i: TLSBootstrapInput): Promise<void> {
  const bootstrapPath = `${C.KUBERNETES_DIR}/${C.BOOTSTRAP_KUBELET_CONF}`;
  const bootstrapConf = bootstrapKubeconfig(i.server, i.caPem, i.clusterName, i.token);
  i.fs.write(bootstrapPath, bootstrapConf, 0o600);
  i.out.phase('kubelet-start', 'Waiting for the kubelet to perform the TLS Bootstrap...');
  const client = ClusterClient.fromKubeconfig(bootstrapConf);
  const keyPem = await newPrivateKeyAsync();
  const csrPem = newCsr(keyPem, `system:node:${i.nodeName}`, [C.NODES_GROUP]);
  let created: V1CertificateSigningRequest;
  try {
    created = await client.certs.createCertificateSigningRequest({
      body: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { generateName: 'csr-' },
        spec: {
          request: Buffer.from(csrPem).toString('base64'),
          signerName: C.KUBELET_CLIENT_SIGNER,
          usages: ['digital signature', 'key encipherment', 'client auth'],
        },
      },
    });
  } catch (err) {
    throw describeApiError(err, 'kubelet-start: creating the CertificateSigningRequest with the bootstrap token');
  }
  const name = created.metadata?.name ?? '';
  i.out.phase('kubelet-start', `Created CertificateSigningRequest "${name}"; waiting for approval and a signed certificate`);
  const certPem = await waitForCertificate(client, name, i.timeoutMs);
  if (!verifyIssuedBy(certPem, i.caPem) || !keyMatchesCert(keyPem, certPem)) {
    throw new Error(`kubelet-start: the certificate issued for CSR "${name}" is not signed by the cluster CA or does not match the key`);
  }
  i.fs.write(C.KUBELET_CLIENT_CURRENT, certPem + keyPem, 0o600);
  i.fs.write(`${C.KUBERNETES_DIR}/${C.KUBELET_CONF}`, kubeletConfAfterBootstrap(i.server, i.caPem), 0o600);
  i.fs.remove(bootstrapPath);
  i.out.phase('kubelet-start', `TLS bootstrap complete: certificate for system:node:${i.nodeName} written to ${C.KUBELET_CLIENT_CURRENT}`);
}

function certificateOf(csr: V1CertificateSigningRequest | undefined): string | 'denied' | undefined {
  const conds = csr?.status?.conditions ?? [];
  const bad = conds.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status !== 'False');
  if (bad) return 'denied';
  const approved = conds.some((c) => c.type === 'Approved' && c.status !== 'False');
  const cert = csr?.status?.certificate;
  if (approved && cert) return Buffer.from(cert, 'base64').toString('utf8');
  return undefined;
}

/** Watches the CSR (re-establishing the watch if it ends) until it carries a certificate, is denied, or time runs out. */
async function waitForCertificate(client: ClusterClient, name: string, timeoutMs: number): Promise<string> {
  const watch = new Watch(client.kc);
  return await new Promise<string>((resolve, reject) => {
    let settled = false;
    let controller: AbortController | undefined;
    const finish = (err: Error | undefined, cert?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      if (err) reject(err);
      else resolve(cert!);
    };
    const consider = (csr: V1CertificateSigningRequest | undefined): void => {
      const r = certificateOf(csr);
      if (r === 'denied') finish(new Error(`kubelet-start: CertificateSigningRequest "${name}" was denied or failed`));
      else if (r) finish(undefined, r);
    };
    const timer = setTimeout(() => finish(new Error(`kubelet-start: timed out after ${Math.round(timeoutMs / 1000)}s waiting for CertificateSigningRequest "${name}" to be approved and signed`)), timeoutMs);
    const start = (): void => {
      if (settled) return;
      watch.watch('/apis/certificates.k8s.io/v1/certificatesigningrequests', { fieldSelector: `metadata.name=${name}` },
        (phase: string, obj: V1CertificateSigningRequest) => {
          if (obj?.metadata?.name === name && (phase === 'ADDED' || phase === 'MODIFIED')) consider(obj);
        },
        () => {
          if (!settled) setTimeout(start, 500); // the watch ended (server timeout or error): watch again
        })
        .then(async (c) => {
          controller = c;
          if (settled) c.abort();
          // The CSR may have been signed before the watch began.
          try {
            consider(await client.certs.readCertificateSigningRequest({ name }));
          } catch {
            // a failed read is retried by the watch
          }
        })
        .catch(() => {
          if (!settled) setTimeout(start, 500);
        });
    };
    start();
  });
}
