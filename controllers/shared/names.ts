/**
 * Names the Cluster and Machine controllers agree on: the management-cluster Secrets of a cluster, and the
 * labels and annotations they put on the control-plane Machines they create.
 */
export const secretNames = {
  /** Cluster CA (kubernetes): tls.crt, tls.key. */
  ca: (cluster: string): string => `${cluster}-ca`,
  /** etcd CA: tls.crt, tls.key. */
  etcd: (cluster: string): string => `${cluster}-etcd`,
  /** front-proxy CA: tls.crt, tls.key. */
  proxy: (cluster: string): string => `${cluster}-proxy`,
  /** Service-account signing key pair: tls.key (private, PKCS#1 PEM) and tls.crt (public, PKIX PEM), as Cluster API does. */
  sa: (cluster: string): string => `${cluster}-sa`,
  /** Admin kubeconfig of the workload cluster: key `value`. */
  kubeconfig: (cluster: string): string => `${cluster}-kubeconfig`,
  /** kubeadm's --certificate-key (64 hex characters) the kubeadm-certs Secret is encrypted with: key `value`. */
  certificateKey: (cluster: string): string => `${cluster}-certificate-key`,
  /** A Machine's rendered cloud-init user-data: keys `value` and `format`. */
  bootstrap: (machine: string): string => `${machine}-bootstrap`,
} as const;

/** The PKI Secrets in the order they are generated. */
export const PKI_SECRETS = ['ca', 'etcd', 'proxy', 'sa'] as const;
export type PkiSecret = (typeof PKI_SECRETS)[number];

export const ControllerAnnotations = {
  /**
   * On a Cluster: the control-plane Machine chosen to run `init`. Claimed with an optimistic-concurrency
   * update, so two Machines reconciled at once can never both initialise.
   */
  initMachine: 'clusterd.dev/init-machine',
  /** On a managed control-plane Machine: hash of the machine template it was created from. */
  templateHash: 'clusterd.dev/control-plane-template-hash',
  /**
   * On a Machine: the version and infrastructure it was first provisioned with (JSON). A MachineSet-owned
   * Machine whose spec drifts from this is refused: Machines are immutable, upgrades happen by replacement.
   */
  provisionedSpec: 'clusterd.dev/provisioned-spec',
  /** On a Machine being deleted: when draining started (RFC 3339), for nodeDrainTimeoutSeconds. */
  drainStarted: 'clusterd.dev/drain-started',
} as const;

/** Secret type of the cluster's certificate Secrets (Cluster API uses the same cluster.x-k8s.io/secret). */
export const CLUSTER_SECRET_TYPE = 'clusterd.dev/secret';
export const BOOTSTRAP_SECRET_TYPE = 'clusterd.dev/bootstrap';
