/** The agent's internal configuration model: kubeadm's v1beta3/v1beta4 documents decoded, defaulted and normalised. */
import type { EncryptionAlgorithm } from '../../lib/pki.js';

/** The kubeadm config API a document set was written in. */
export type KubeadmAPIVersion = 'v1beta3' | 'v1beta4';

export interface Arg {
  name: string;
  value: string;
}

export interface HostPathMount {
  name: string;
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
  pathType?: string;
}

export interface ControlPlaneComponent {
  extraArgs: Arg[];
  extraVolumes: HostPathMount[];
}

export interface LocalEtcd {
  imageRepository?: string;
  imageTag?: string;
  dataDir: string;
  extraArgs: Arg[];
  serverCertSANs: string[];
  peerCertSANs: string[];
}

export interface ExternalEtcd {
  endpoints: string[];
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface ClusterConfiguration {
  kubernetesVersion: string;
  clusterName: string;
  controlPlaneEndpoint: string;
  imageRepository: string;
  certificatesDir: string;
  networking: { serviceSubnet: string; podSubnet?: string; dnsDomain: string };
  etcd: { local?: LocalEtcd; external?: ExternalEtcd };
  apiServer: ControlPlaneComponent & { certSANs: string[] };
  controllerManager: ControlPlaneComponent;
  scheduler: ControlPlaneComponent;
  featureGates: Record<string, boolean>;
  dns: { imageRepository?: string; imageTag?: string; disabled: boolean };
  proxy: { disabled: boolean };
  /** v1beta4: the key type of every key kubeadm generates (default RSA-2048). */
  encryptionAlgorithm: EncryptionAlgorithm;
  /** v1beta4 certificateValidityPeriod (default 8760h) and caCertificateValidityPeriod (default 87600h), in ms. */
  certificateValidityPeriodMs: number;
  caCertificateValidityPeriodMs: number;
  /** What kubeadm would print as warnings about this configuration (not serialised). */
  warnings?: string[];
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface NodeRegistration {
  name: string;
  criSocket: string;
  taints: Taint[];
  kubeletExtraArgs: Arg[];
  ignorePreflightErrors: string[];
  imagePullPolicy: string;
}

export interface BootstrapTokenSpec {
  token: string;
  description?: string;
  /** Seconds; ignored when expires is set. 0 means never expires. */
  ttlSeconds: number;
  expires?: string;
  usages: string[];
  groups: string[];
}

export interface APIEndpoint {
  advertiseAddress: string;
  bindPort: number;
}

/** kubeadm v1beta4 timeouts, in milliseconds. */
export interface Timeouts {
  controlPlaneComponentHealthCheck: number;
  kubernetesAPICall: number;
  /** Each etcd membership call, retried until this (kubeadm's default 2m). */
  etcdAPICall: number;
  tlsBootstrap: number;
  discovery: number;
}

export interface InitConfiguration {
  bootstrapTokens: BootstrapTokenSpec[];
  nodeRegistration: NodeRegistration;
  localAPIEndpoint: APIEndpoint;
  certificateKey?: string;
  skipPhases: string[];
  timeouts: Timeouts;
  cluster: ClusterConfiguration;
  /** The KubeletConfiguration document as given (kubelet.config.k8s.io/v1beta1), before defaults. */
  kubelet: Record<string, unknown>;
  /** The config API the documents used (absent: none were given, only flags). */
  configAPIVersion?: KubeadmAPIVersion;
}

export interface BootstrapTokenDiscovery {
  token: string;
  apiServerEndpoint: string;
  caCertHashes: string[];
  unsafeSkipCAVerification: boolean;
}

export interface JoinConfiguration {
  nodeRegistration: NodeRegistration;
  caCertPath: string;
  discovery: { bootstrapToken?: BootstrapTokenDiscovery; file?: { kubeConfigPath: string }; tlsBootstrapToken?: string };
  controlPlane?: { localAPIEndpoint: APIEndpoint; certificateKey?: string };
  skipPhases: string[];
  timeouts: Timeouts;
  /** The config API the documents used (absent: none were given, only flags), and the kind of the first document. */
  configAPIVersion?: KubeadmAPIVersion;
  configAPIKind?: string;
}
