/** kubeadm's kubeconfig phase: one client-certificate identity per control-plane component, the cluster CA embedded. */
import { X509Certificate } from 'node:crypto';
import { type CertAndKey, newPrivateKeyAsync, signCert, verifyIssuedBy } from '../lib/pki.js';
import { kubeconfigYaml, parseKubeconfig } from '../lib/kubeconfig.js';
import * as C from './constants.js';
import type { ClusterConfiguration } from './config/types.js';
import type { HostFS, Printer } from './context.js';
import { commonNameOf } from './certs.js';
import { joinHostPort } from './netutil.js';
import { parseHostPort } from './config/load.js';

export interface KubeconfigDef {
  /** The phase name, `kubeconfig/<name>`. */
  name: string;
  file: string;
  commonName: string;
  organization?: string[];
  /** 'endpoint': controlPlaneEndpoint (or the local API endpoint when unset); 'local': this node's API server. */
  server: 'endpoint' | 'local';
}

/**
 * kubeadm's kubeconfig files, in its order. admin.conf is in kubeadm:cluster-admins (bound to cluster-admin by a
 * ClusterRoleBinding, so it can be revoked); super-admin.conf, init's node only, is the system:masters credential.
 */
export function kubeconfigDefinitions(nodeName: string): KubeconfigDef[] {
  return [
    { name: 'admin', file: C.ADMIN_CONF, commonName: 'kubernetes-admin', organization: [C.CLUSTER_ADMINS_GROUP], server: 'endpoint' },
    { name: 'super-admin', file: C.SUPER_ADMIN_CONF, commonName: 'kubernetes-super-admin', organization: [C.MASTERS_GROUP], server: 'endpoint' },
    // ControlPlaneKubeletLocalMode: the init node's kubelet talks to its local API server
    { name: 'kubelet', file: C.KUBELET_CONF, commonName: `system:node:${nodeName}`, organization: [C.NODES_GROUP], server: 'local' },
    { name: 'controller-manager', file: C.CONTROLLER_MANAGER_CONF, commonName: 'system:kube-controller-manager', server: 'local' },
    { name: 'scheduler', file: C.SCHEDULER_CONF, commonName: 'system:kube-scheduler', server: 'local' },
  ];
}

export function controlPlaneURL(cfg: ClusterConfiguration, local: { advertiseAddress: string; bindPort: number }): string {
  if (!cfg.controlPlaneEndpoint) return localURL(local);
  const { host, port } = parseHostPort(cfg.controlPlaneEndpoint, 'controlPlaneEndpoint');
  return `https://${joinHostPort(host, port ?? local.bindPort)}`;
}

export const localURL = (local: { advertiseAddress: string; bindPort: number }): string =>
  `https://${joinHostPort(local.advertiseAddress, local.bindPort)}`;

export interface KubeconfigPhaseInput {
  fs: HostFS;
  out: Printer;
  cfg: ClusterConfiguration;
  local: { advertiseAddress: string; bindPort: number };
}

export async function runKubeconfigPhase(input: KubeconfigPhaseInput, def: KubeconfigDef): Promise<void> {
  const { fs, out, cfg } = input;
  const path = `${C.KUBERNETES_DIR}/${def.file}`;
  const caPath = `${cfg.certificatesDir}/ca.crt`;
  const caPem = fs.readIfExists(caPath);
  if (!caPem) throw new Error(`kubeconfig: the cluster CA ${caPath} is missing; run the certs phase first`);
  const server = def.server === 'local' ? localURL(input.local) : controlPlaneURL(cfg, input.local);
  const existing = fs.readIfExists(path);
  if (existing) {
    const why = checkKubeconfig(existing, caPem, server, def);
    if (why) throw new Error(`kubeconfig: a kubeconfig file "${path}" exists already but ${why}`);
    out.phase('kubeconfig', `Using existing kubeconfig file: "${path}"`);
    return;
  }
  const caKeyPem = fs.readIfExists(`${cfg.certificatesDir}/ca.key`);
  if (!caKeyPem) throw new Error(`kubeconfig: external CA mode (no ${cfg.certificatesDir}/ca.key): ${path} must be provided`);
  out.phase('kubeconfig', `Writing "${def.file}" kubeconfig file`);
  const client = signCert(
    { commonName: def.commonName, organization: def.organization, usages: ['client'], validityDays: cfg.certificateValidityPeriodMs / (24 * 3_600_000) },
    { certPem: caPem, keyPem: caKeyPem }, await newPrivateKeyAsync(cfg.encryptionAlgorithm),
  );
  fs.write(path, kubeconfigFor(cfg.clusterName, server, caPem, def.commonName, client), 0o600);
}

export function kubeconfigFor(clusterName: string, server: string, caPem: string, userName: string, client: CertAndKey): string {
  return kubeconfigYaml({ clusterName, server, caPem, userName, clientCertPem: client.certPem, clientKeyPem: client.keyPem });
}

/** kubeadm's validateKubeConfig: same CA, same server, and (when embedded) a client certificate for the right identity. */
function checkKubeconfig(text: string, caPem: string, server: string, def: KubeconfigDef): string | undefined {
  let kc;
  try {
    kc = parseKubeconfig(text);
  } catch (err) {
    return `is unreadable: ${(err as Error).message}`;
  }
  if (!kc.caPem || new X509Certificate(kc.caPem).fingerprint256 !== new X509Certificate(caPem).fingerprint256) return 'has a different CA';
  if (kc.server !== server) return `points at ${kc.server}, want ${server}`;
  if (kc.clientCertPem) {
    if (!verifyIssuedBy(kc.clientCertPem, caPem)) return 'has a client certificate that the CA did not sign or that expired';
    if (commonNameOf(kc.clientCertPem) !== def.commonName) return `is for "${commonNameOf(kc.clientCertPem)}", want "${def.commonName}"`;
    const orgs = [...new X509Certificate(kc.clientCertPem).subject.matchAll(/^O=(.+)$/gm)].map((m) => m[1]);
    if (def.organization && orgs.join(',') !== def.organization.join(',')) {
      return `is for the groups [${orgs.join(' ')}], want [${def.organization.join(' ')}] (an admin.conf from before kubeadm 1.29 is in system:masters)`;
    }
  }
  return undefined;
}
