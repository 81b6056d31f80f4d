/** `clusterd agent join`: kubeadm join's workflow, for workers and (with --control-plane) control-plane nodes. */
import yaml from 'js-yaml';
import * as C from '../../constants.js';
import type { ClusterConfiguration, JoinConfiguration } from '../../config/types.js';
import type { HostFS, Printer } from '../../context.js';
import { Workflow } from '../../workflow.js';
import { type ClusterInfo, fileDiscovery, tokenDiscovery } from '../../discovery.js';
import { kubeletTLSBootstrap } from '../../tlsbootstrap.js';
import { ClusterClient, describeApiError, isNotFound } from '../../api/client.js';
import { bootstrapKubeconfig } from '../../tlsbootstrap.js';
import { checkConfigAPIVersion, clusterConfiguration } from '../../config/load.js';
import { CertificateKeyMismatchError, decryptCerts, SHARED_CERT_FILES, secretKeyForFile } from '../../copycerts.js';
import { certDefinitions, runCertPhase, runSAPhase } from '../../certs.js';
import { kubeconfigDefinitions, localURL, runKubeconfigPhase } from '../../kubeconfigs.js';
import {
  apiServerManifest, controllerManagerManifest, etcdManifest, etcdPeerURL, schedulerManifest,
  type ManifestInput, type PodManifest,
} from '../../manifests.js';
import type { HostFacts } from '../../host.js';
import { joinStackedEtcd } from '../../etcd/join.js';
import {
  checkManifestsDir, checkNodeName, checkTargetVersion, controlPlaneHealthChecks, dumpYaml, kubeletConfiguration, markControlPlane, reportPreflight,
  waitForAPIServer, waitForControlPlaneComponents, writeKubeletFiles, writeManifest, type PreflightResult,
} from '../shared.js';

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

const isControlPlane = (d: JoinData): boolean => d.cfg.controlPlane !== undefined;

function tlsBootstrapToken(d: JoinData): string {
  const t = d.cfg.discovery.tlsBootstrapToken ?? d.cfg.discovery.bootstrapToken?.token ?? d.info?.token;
  if (!t) throw new Error('join: no TLS bootstrap token (give --token or --tls-bootstrap-token, or discovery.tlsBootstrapToken)');
  return t;
}

async function discover(d: JoinData): Promise<ClusterInfo> {
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

function bootstrapClient(d: JoinData, info: ClusterInfo): ClusterClient {
  return ClusterClient.fromKubeconfig(bootstrapKubeconfig(info.server, info.caPem, d.cluster?.clusterName ?? C.DEFAULT_CLUSTER_NAME, tlsBootstrapToken(d)));
}

/** kubeadm's "Reading configuration from the cluster": kubeadm-config and kubelet-config, with the bootstrap token. */
async function clusterConfig(d: JoinData): Promise<ClusterConfiguration> {
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

function cpEndpoint(d: JoinData): { advertiseAddress: string; bindPort: number } {
  return d.cfg.controlPlane!.localAPIEndpoint;
}

const node = (d: JoinData): { nodeName: string; advertiseAddress: string } => ({ nodeName: d.cfg.nodeRegistration.name, advertiseAddress: cpEndpoint(d).advertiseAddress });

async function manifestInput(d: JoinData): Promise<ManifestInput> {
  return { cfg: await clusterConfig(d), nodeName: d.cfg.nodeRegistration.name, local: cpEndpoint(d) };
}

function adminClient(d: JoinData): ClusterClient {
  const admin = d.fs.readIfExists(`${C.KUBERNETES_DIR}/${C.ADMIN_CONF}`);
  if (!admin) throw new Error(`${C.KUBERNETES_DIR}/${C.ADMIN_CONF} is missing; run control-plane-prepare first`);
  return ClusterClient.fromKubeconfig(admin);
}

async function preflight(d: JoinData): Promise<void> {
  d.out.phase('preflight', 'Running pre-flight checks');
  const results: PreflightResult[] = [...checkNodeName(d.cfg.nodeRegistration.name)];
  if (d.fs.exists(`${C.KUBERNETES_DIR}/${C.KUBELET_CONF}`)) results.push({ name: 'FileAvailable--etc-kubernetes-kubelet.conf', message: `${C.KUBERNETES_DIR}/${C.KUBELET_CONF} already exists` });
  if (isControlPlane(d)) results.push(...checkManifestsDir(d.fs));
  reportPreflight(d.out, results, d.ignorePreflightErrors);
  // The target version is the cluster's (kubeadm-config), as kubeadm join reads it; a control plane also checks the
  // flags of the static Pods it is about to write, so a rollout to a new minor never writes a flag that minor dropped.
  const cfg = await clusterConfig(d);
  // The JoinConfiguration's API version, judged by the kubeadm of the release the node joins (1.37 refuses v1beta3).
  const api = checkConfigAPIVersion(d.cfg.configAPIVersion, d.cfg.configAPIKind, cfg.kubernetesVersion);
  if (api.error) throw new Error(api.error);
  if (api.warning) d.out.warn('config', api.warning);
  if (isControlPlane(d) && !cfg.controlPlaneEndpoint) {
    throw new Error('join: unable to add a new control plane instance to a cluster that doesn\'t have a stable controlPlaneEndpoint address');
  }
  let manifests: PodManifest[] = [];
  if (isControlPlane(d)) {
    const mi = await manifestInput(d);
    manifests = [apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi), ...(cfg.etcd.local ? [etcdManifest(mi)] : [])];
  }
  reportPreflight(d.out, checkTargetVersion(cfg.kubernetesVersion, manifests), d.ignorePreflightErrors);
}

/** Reads kubeadm-certs with the bootstrap token and writes the shared CAs and keys (copycerts.DownloadCerts). */
async function downloadCerts(d: JoinData): Promise<void> {
  const key = d.cfg.controlPlane?.certificateKey;
  if (!key) {
    d.out.phase('download-certs', 'Skipping: no certificate key given; the shared certificates must already be on this node');
    return;
  }
  const cfg = await clusterConfig(d);
  const info = await discover(d);
  d.out.phase('download-certs', `Downloading the certificates in Secret "${C.KUBEADM_CERTS_SECRET}" in the "kube-system" Namespace`);
  let data: Record<string, string>;
  try {
    const secret = await bootstrapClient(d, info).core.readNamespacedSecret({ name: C.KUBEADM_CERTS_SECRET, namespace: 'kube-system' });
    data = secret.data ?? {};
  } catch (err) {
    if (isNotFound(err)) {
      throw new Error(`download-certs: Secret "${C.KUBEADM_CERTS_SECRET}" was not found in the "kube-system" Namespace. It expires with its proxy token (2h by default); ` +
        'run `clusterd agent phase upload-certs --upload-certs` on a control-plane node to upload the certificates again, and join with the certificate key it prints');
    }
    throw describeApiError(err, `download-certs: reading Secret ${C.KUBEADM_CERTS_SECRET}`);
  }
  let plain: Record<string, Buffer>;
  try {
    plain = decryptCerts(data, key);
  } catch (err) {
    if (err instanceof CertificateKeyMismatchError) {
      throw new Error(`download-certs: ${err.message}. Use the certificate key printed by the upload, or run \`clusterd agent phase upload-certs --upload-certs\` on a control-plane node for a new one`);
    }
    throw err;
  }
  for (const f of SHARED_CERT_FILES) {
    if (f.startsWith('etcd/') && !cfg.etcd.local) continue;
    const content = plain[secretKeyForFile(f)];
    if (content === undefined) throw new Error(`download-certs: the Secret does not include the required certificate or key "${f}"`);
    if (content.length === 0) continue;
    d.fs.write(`${cfg.certificatesDir}/${f}`, content, f.endsWith('.key') ? 0o600 : 0o644);
  }
}

async function prepareCerts(d: JoinData): Promise<void> {
  const cfg = await clusterConfig(d);
  const info = await discover(d);
  d.out.phase('certs', `Using certificateDir folder "${cfg.certificatesDir}"`);
  if (!d.fs.exists(`${cfg.certificatesDir}/ca.crt`)) d.fs.write(`${cfg.certificatesDir}/ca.crt`, info.caPem, 0o644);
  const input = { fs: d.fs, out: d.out, cfg, node: node(d) };
  for (const def of certDefinitions(cfg, node(d))) {
    if (!def.ca && !d.fs.exists(`${cfg.certificatesDir}/${def.base}.crt`)) {
      throw new Error(`certs: the shared ${def.name} certificate authority is missing; join with --certificate-key, or copy it from an existing control-plane node`);
    }
    await runCertPhase(input, def);
  }
  if (!d.fs.exists(`${cfg.certificatesDir}/sa.key`)) throw new Error('certs: the shared service-account key sa.key is missing; join with --certificate-key, or copy it from an existing control-plane node');
  await runSAPhase(input);
}

async function prepareKubeconfigs(d: JoinData): Promise<void> {
  const cfg = await clusterConfig(d);
  d.out.phase('kubeconfig', `Using kubeconfig folder "${C.KUBERNETES_DIR}"`);
  for (const def of kubeconfigDefinitions(d.cfg.nodeRegistration.name).filter((k) => k.name !== 'kubelet' && k.name !== 'super-admin')) {
    await runKubeconfigPhase({ fs: d.fs, out: d.out, cfg, local: cpEndpoint(d) }, def);
  }
}

async function kubeletStart(d: JoinData): Promise<void> {
  const info = await discover(d);
  const cfg = await clusterConfig(d);
  const caPath = d.cfg.caCertPath;
  if (!d.fs.exists(caPath)) d.fs.write(caPath, info.caPem, 0o644);
  writeKubeletFiles(d.fs, d.out, d.kubeletConfigYaml ?? dumpYaml(kubeletConfiguration(cfg, {})), d.cfg.nodeRegistration, { registerTaints: !isControlPlane(d) });
  if (d.dryRun) {
    d.out.phase('dryrun', 'Would write bootstrap-kubelet.conf and perform the TLS bootstrap');
    return;
  }
  d.out.phase('kubelet-start', 'Starting the kubelet');
  // A control plane's kubelet bootstraps against its own API server, which cannot answer before its etcd member has
  // joined: kubeadm waits for that bootstrap after etcd-join (kubelet-wait-bootstrap), and so does kubeletBootstrap.
  if (!isControlPlane(d)) await kubeletBootstrap(d);
}

/**
 * The kubelet's TLS bootstrap. ControlPlaneKubeletLocalMode (GA in 1.35): a control plane's kubelet talks to its own
 * API server, not the load balancer, so it never depends on a member of another minor during an upgrade.
 */
async function kubeletBootstrap(d: JoinData): Promise<void> {
  const info = await discover(d);
  const cfg = await clusterConfig(d);
  let server = info.server;
  if (isControlPlane(d)) {
    server = localURL(cpEndpoint(d));
    await waitForAPIServer(d.out, server, info.caPem, d.cfg.timeouts.tlsBootstrap);
  }
  await kubeletTLSBootstrap({
    fs: d.fs, out: d.out, server, caPem: info.caPem, clusterName: cfg.clusterName, token: tlsBootstrapToken(d),
    nodeName: d.cfg.nodeRegistration.name, timeoutMs: d.cfg.timeouts.tlsBootstrap,
  });
}

/**
 * Adds this node to the stacked etcd cluster as kubeadm does since EtcdLearnerMode (GA in 1.32), through the etcd API
 * of the existing members: a learner first (it takes no part in quorum while it replicates the log), then, once its
 * etcd is started and in sync with the leader, promoted to a voting member (bootstrap/etcd/join.ts).
 */
async function joinEtcd(d: JoinData): Promise<void> {
  const cfg = await clusterConfig(d);
  if (!cfg.etcd.local) {
    d.out.phase('etcd', 'External etcd mode: skipping the local etcd member');
    return;
  }
  const mi = await manifestInput(d);
  await joinStackedEtcd({
    fs: d.fs, out: d.out, client: adminClient(d), certificatesDir: cfg.certificatesDir,
    self: { name: d.cfg.nodeRegistration.name, peerURL: etcdPeerURL(cpEndpoint(d).advertiseAddress) },
    timeouts: d.cfg.timeouts,
    writeManifest: (members) => writeManifest(d.fs, d.out, 'etcd', etcdManifest(mi, members)),
  });
}

export function joinWorkflow(): Workflow<JoinData> {
  const cpOnly = (f: (d: JoinData) => Promise<void>) => async (d: JoinData): Promise<void> => {
    if (isControlPlane(d)) await f(d);
  };
  return new Workflow<JoinData>('join', [
    { name: 'preflight', short: 'Run join pre-flight checks', run: preflight },
    {
      name: 'discovery', short: 'Discover and validate the cluster CA and endpoint',
      run: async (d) => {
        const info = await discover(d);
        d.out.phase('discovery', `Trusting the cluster CA; API server ${info.server}`);
      },
    },
    {
      name: 'control-plane-prepare', short: 'Prepare the machine for serving a control plane',
      phases: [
        { name: 'download-certs', short: 'Download certificates shared among control-plane nodes from the kubeadm-certs Secret', run: cpOnly(downloadCerts) },
        { name: 'certs', short: 'Generate the certificates for the new control plane components', run: cpOnly(prepareCerts) },
        { name: 'kubeconfig', short: 'Generate the kubeconfig for the new control plane components', run: cpOnly(prepareKubeconfigs) },
        {
          name: 'control-plane', short: 'Generate the manifests for the new control plane components',
          run: cpOnly(async (d) => {
            const mi = await manifestInput(d);
            d.out.phase('control-plane', `Using manifest folder "${C.MANIFESTS_DIR}"`);
            for (const m of [apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi)]) writeManifest(d.fs, d.out, 'control-plane', m);
          }),
        },
      ],
    },
    { name: 'kubelet-start', short: 'Write kubelet settings, certificates and (re)start the kubelet', run: kubeletStart },
    {
      name: 'control-plane-join', short: 'Join a machine as a control plane instance',
      phases: [
        { name: 'etcd', short: 'Add a new local etcd member', run: cpOnly(async (d) => (d.dryRun ? d.out.phase('dryrun', 'Would add a local etcd member') : joinEtcd(d))) },
        {
          name: 'kubelet-wait-bootstrap', short: 'Wait for the kubelet to bootstrap itself against the new API server',
          run: cpOnly(async (d) => (d.dryRun ? d.out.phase('dryrun', 'Would wait for the kubelet to be bootstrapped') : kubeletBootstrap(d))),
        },
        {
          name: 'wait-control-plane', short: 'Wait for the new control plane instance to start',
          run: cpOnly(async (d) => {
            if (d.dryRun) return d.out.phase('dryrun', 'Would wait for the control plane components to be healthy');
            const mi = await manifestInput(d);
            const checks = controlPlaneHealthChecks([apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi)], cpEndpoint(d),
              (await discover(d)).caPem, d.host);
            await waitForControlPlaneComponents(d.out, checks, d.cfg.timeouts.controlPlaneComponentHealthCheck);
          }),
        },
        {
          name: 'mark-control-plane', short: 'Mark a node as a control-plane',
          run: cpOnly(async (d) => d.dryRun ? d.out.phase('dryrun', 'Would label and taint the Node') : markControlPlane(adminClient(d), d.out, d.cfg.nodeRegistration.name, d.cfg.nodeRegistration.taints, d.cfg.timeouts.kubernetesAPICall)),
        },
      ],
    },
    {
      name: 'show-result', short: 'Report what joined',
      run: async (d) => {
        d.out.line('');
        d.out.line(isControlPlane(d)
          ? 'This node has joined the cluster and a new control plane instance was created!'
          : 'This node has joined the cluster: the certificate signing request was approved and the kubelet has its credentials.');
      },
    },
  ]);
}
