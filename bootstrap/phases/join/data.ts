/** What every join phase reads and writes (kubeadm's JoinData), and the accessors the phases share. */
import yaml from 'js-yaml';
import * as C from '../../constants.js';
import type { ClusterConfiguration, JoinConfiguration } from '../../config/types.js';
import type { HostFS, Printer } from '../../context.js';
import { type ClusterInfo, fileDiscovery, tokenDiscovery } from '../../discovery.js';
import { ClusterClient, describeApiError, isNotFound } from '../../api/client.js';
import { bootstrapKubeconfig } from '../../tlsbootstrap.js';
import { clusterConfiguration } from '../../config/load.js';
import type { ManifestInput } from '../../manifests.js';
import type { HostFacts } from '../../host.js';

export interface JoinData {
  fs: HostFS;
  out: Printer;
  dryRun: boolean;
  cfg: JoinConfiguration;
  ignorePreflightErrors: Set<string>;
  info?: ClusterInfo & { token?: string };
  cluster?: ClusterConfiguration;
  kubeletConfigYaml?: string;
  /** The machine it runs on (its loopback, for the components bound to 127.0.0.1). */
  host?: HostFacts;
}

export const isControlPlane = (d: JoinData): boolean => d.cfg.controlPlane !== undefined;

export function tlsBootstrapToken(d: JoinData): string {
  const t = d.cfg.discovery.tlsBootstrapToken ?? d.cfg.discovery.bootstrapToken?.token ?? d.info?.token;
  if (!t) throw new Error('join: no TLS bootstrap token (give --token or --tls-bootstrap-token, or discovery.tlsBootstrapToken)');
  return t;
}

export async function discover(d: JoinData): Promise<ClusterInfo> {
  if (d.info) return d.info;
  const disc = d.cfg.discovery;
  if (disc.file) {
    const path = disc.file.kubeConfigPath;
    const text = d.fs.readIfExists(path);
    if (text === undefined) throw new Error(`discovery: the discovery file ${path} does not exist`);
    d.out.phase('discovery', `Using the discovery file ${path}`);
    d.info = fileDiscovery(text, path);
  } else if (disc.bootstrapToken) {
    d.info = await tokenDiscovery({ ...disc.bootstrapToken, timeoutMs: d.cfg.timeouts.discovery, out: d.out });
  } else {
    throw new Error('discovery: give a bootstrap token (--token/--discovery-token) or a discovery file (--discovery-file)');
  }
  return d.info;
}

export function bootstrapClient(d: JoinData, info: ClusterInfo): ClusterClient {
  return ClusterClient.fromKubeconfig(bootstrapKubeconfig(info.server, info.caPem, d.cluster?.clusterName ?? C.DEFAULT_CLUSTER_NAME, tlsBootstrapToken(d)));
}

/** kubeadm's "Reading configuration from the cluster": kubeadm-config and kubelet-config, with the bootstrap token. */
export async function clusterConfig(d: JoinData): Promise<ClusterConfiguration> {
  if (d.cluster) return d.cluster;
  const info = await discover(d);
  d.out.phase('preflight', 'Reading configuration from the cluster...');
  const client = bootstrapClient(d, info);
  let text: string | undefined;
  try {
    const cm = await client.core.readNamespacedConfigMap({ name: C.KUBEADM_CONFIG_CONFIGMAP, namespace: 'kube-system' });
    text = cm.data?.ClusterConfiguration;
  } catch (err) {
    throw describeApiError(err, `join: reading the ${C.KUBEADM_CONFIG_CONFIGMAP} ConfigMap`);
  }
  if (!text) throw new Error(`join: the ${C.KUBEADM_CONFIG_CONFIGMAP} ConfigMap has no ClusterConfiguration`);
  d.cluster = clusterConfiguration(yaml.load(text) as Record<string, unknown>);
  try {
    const kcm = await client.core.readNamespacedConfigMap({ name: C.KUBELET_CONFIG_CONFIGMAP, namespace: 'kube-system' });
    d.kubeletConfigYaml = kcm.data?.kubelet;
  } catch (err) {
    if (!isNotFound(err)) throw describeApiError(err, `join: reading the ${C.KUBELET_CONFIG_CONFIGMAP} ConfigMap`);
  }
  return d.cluster;
}

export function cpEndpoint(d: JoinData): { advertiseAddress: string; bindPort: number } {
  return d.cfg.controlPlane!.localAPIEndpoint;
}

export const node = (d: JoinData): { nodeName: string; advertiseAddress: string } => ({ nodeName: d.cfg.nodeRegistration.name, advertiseAddress: cpEndpoint(d).advertiseAddress });

export async function manifestInput(d: JoinData): Promise<ManifestInput> {
  return { cfg: await clusterConfig(d), nodeName: d.cfg.nodeRegistration.name, local: cpEndpoint(d) };
}

export function adminClient(d: JoinData): ClusterClient {
  const admin = d.fs.readIfExists(`${C.KUBERNETES_DIR}/${C.ADMIN_CONF}`);
  if (!admin) throw new Error(`${C.KUBERNETES_DIR}/${C.ADMIN_CONF} is missing; run control-plane-prepare first`);
  return ClusterClient.fromKubeconfig(admin);
}

/** A phase that only a control-plane join runs; a worker passes through it. */
export const cpOnly = (f: (d: JoinData) => Promise<void>) => async (d: JoinData): Promise<void> => {
  if (isControlPlane(d)) await f(d);
};
