/**
 * What the Machine controller hands the cloud-init renderer: the kubeadm role, where the cluster answers,
 * how to trust it, the credentials the role needs, and the Machine's own bootstrap extras. The renderer
 * itself belongs to bootstrap/; this is the controller's side of that call.
 */
import type { Bootstrap, Cluster, Machine } from '../../api/v1alpha1/index.js';
import type { ClusterPKI } from '../../bootstrap/index.js';
import type { BootstrapRole } from './role.js';

export interface BootstrapDataInput {
  role: BootstrapRole;
  clusterName: string;
  nodeName: string;
  version: string;
  controlPlaneEndpoint: { host: string; port: number };
  clusterNetwork?: Cluster['spec']['clusterNetwork'];
  kubeadm?: Cluster['spec']['kubeadm'];
  /** A bootstrap token: for init, the one init creates; for joins, one already in the workload cluster. */
  token: string;
  caCertHashes: string[];
  /** init (uploads the certificates with it) and join-control-plane (downloads them). */
  certificateKey?: string;
  /** init only: the shared CAs and service-account key pair, so every member starts from the same PKI (bootstrap's ClusterPKI). */
  certs?: ClusterPKI;
  extras?: Bootstrap;
  /** The Machine's provider ID when known, for the kubelet's --provider-id (the provider may set it too). */
  providerID?: string;
}

export type CloudInitRenderer = (input: BootstrapDataInput) => string;

/** The Machine's bootstrap extras, without the field clusterd fills in. */
export function bootstrapExtras(m: Machine): Bootstrap | undefined {
  if (!m.spec.bootstrap) return undefined;
  const { dataSecretName: _d, ...rest } = m.spec.bootstrap;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** The Kubernetes version a Machine installs: its own, else the managed control plane's. */
export function machineVersion(m: Machine, c: Cluster): string | undefined {
  return m.spec.version ?? c.spec.controlPlane?.version;
}
