/** `clusterd agent init`: kubeadm init's workflow, phase by phase. */
import { createServer } from 'node:net';
import * as C from '../../constants.js';
import type { InitConfiguration } from '../../config/types.js';
import type { HostFS, Printer } from '../../context.js';
import { type Phase, Workflow } from '../../workflow.js';
import { certDefinitions, isExternalCA, runCertPhase, runSAPhase } from '../../certs.js';
import { controlPlaneURL, kubeconfigDefinitions, runKubeconfigPhase } from '../../kubeconfigs.js';
import {
  apiServerManifest, CONTROL_PLANE_COMPONENTS, controllerManagerManifest, etcdManifest,
  schedulerManifest, type ManifestInput,
} from '../../manifests.js';
import type { V1ClusterRoleBinding } from '@kubernetes/client-node';
import { ClusterClient, describeApiError, isForbidden, NotServedError, statusCode, type ObjectWriter, DryRunWriter } from '../../api/client.js';
import {
  bootstrapClusterRoles, bootstrapTokenRBAC, clusterAdminsBinding, clusterInfoConfigMap, clusterInfoKubeconfig, clusterInfoRBAC,
  kubeadmCertsRBAC, uploadConfigObjects,
} from '../../api/objects.js';
import { coreDNSObjects, kubeProxyObjects } from '../../api/addons.js';
import { bootstrapTokenSecret, computeJWS, newBootstrapToken, parseBootstrapToken, bootstrapTokenSecretName } from '../../tokens.js';
import { encryptCerts, newCertificateKey, SHARED_CERT_FILES } from '../../copycerts.js';
import { clusterConfigurationDocument } from '../../config/serialize.js';
import { formatDuration } from '../../config/schema.js';
import { caCertHash } from '../../../lib/pki.js';
import {
  checkManifestsDir, checkNodeName, checkTargetVersion, controlPlaneHealthChecks, dumpYaml, kubeletConfiguration, markControlPlane, reportPreflight,
  waitForControlPlaneComponents, writeKubeletFiles, writeManifest, type PreflightResult,
} from '../shared.js';
import { onHost, type HostFacts } from '../../host.js';

export interface InitData {
  fs: HostFS;
  out: Printer;
  dryRun: boolean;
  cfg: InitConfiguration;
  ignorePreflightErrors: Set<string>;
  uploadCerts: boolean;
  /** TTL of the proxy token that owns kubeadm-certs, seconds. */
  certificateTokenTTLSeconds: number;
  /** Filled in by upload-certs when not given. */
  certificateKey?: string;
  /** Lazily created from admin.conf once its ClusterRoleBinding exists; a DryRunWriter in dry-run. */
  clientCache?: ClusterClient;
  /** The machine it runs on (its loopback, for the components bound to 127.0.0.1). */
  host?: HostFacts;
}

/**
 * The admin.conf client, after making sure its group is bound to cluster-admin (kubeadm's
 * EnsureAdminClusterRoleBinding): admin.conf tries to create kubeadm:cluster-admins itself; Forbidden means the binding
 * is not there yet, and super-admin.conf (system:masters) creates it. AlreadyExists means admin.conf already works.
 */
async function client(d: InitData): Promise<ClusterClient> {
  if (d.clientCache) return d.clientCache;
  const read = (file: string): string | undefined => d.fs.readIfExists(`${C.KUBERNETES_DIR}/${file}`);
  const admin = read(C.ADMIN_CONF);
  if (!admin) throw new Error(`${C.KUBERNETES_DIR}/${C.ADMIN_CONF} is missing; run the kubeconfig phase first`);
  const adminClient = ClusterClient.fromKubeconfig(admin);
  const binding = clusterAdminsBinding();
  const deadline = Date.now() + d.cfg.timeouts.kubernetesAPICall;
  for (;;) {
    try {
      await adminClient.rbac.createClusterRoleBinding({ body: binding as V1ClusterRoleBinding });
      break;
    } catch (err) {
      if (statusCode(err) === 409) break;
      if (isForbidden(err)) {
        const superAdmin = read(C.SUPER_ADMIN_CONF);
        if (!superAdmin) {
          throw new Error(`the ClusterRoleBinding for the ${C.CLUSTER_ADMINS_GROUP} Group is missing but there is no ${C.SUPER_ADMIN_CONF} to create it`);
        }
        d.out.phase('kubeconfig', `Creating the ClusterRoleBinding "${C.CLUSTER_ADMINS_CRB}" with ${C.SUPER_ADMIN_CONF}`);
        await ClusterClient.fromKubeconfig(superAdmin).ensure(binding);
        break;
      }
      if (Date.now() > deadline) throw describeApiError(err, `unable to create ClusterRoleBinding ${C.CLUSTER_ADMINS_CRB}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  d.clientCache = adminClient;
  return adminClient;
}

const writer = async (d: InitData): Promise<ObjectWriter> => (d.dryRun ? new DryRunWriter(d.out) : client(d));

const node = (d: InitData): { nodeName: string; advertiseAddress: string } => ({ nodeName: d.cfg.nodeRegistration.name, advertiseAddress: d.cfg.localAPIEndpoint.advertiseAddress });

function manifestInput(d: InitData): ManifestInput {
  return {
    cfg: d.cfg.cluster, nodeName: d.cfg.nodeRegistration.name, local: d.cfg.localAPIEndpoint,
    externalCA: isExternalCA(d.fs, d.cfg.cluster.certificatesDir, 'ca'),
  };
}

async function portFree(host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

async function preflight(d: InitData): Promise<void> {
  d.out.phase('preflight', 'Running pre-flight checks');
  for (const w of d.cfg.cluster.warnings ?? []) d.out.warn('config', w);
  const results: PreflightResult[] = [...checkNodeName(d.cfg.nodeRegistration.name), ...checkManifestsDir(d.fs)];
  const version = d.cfg.cluster.kubernetesVersion;
  const mi = manifestInput(d);
  const manifests = [apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi), ...(d.cfg.cluster.etcd.local ? [etcdManifest(mi)] : [])];
  results.push(...checkTargetVersion(version, manifests));
  const ports = [d.cfg.localAPIEndpoint.bindPort, C.KUBE_CONTROLLER_MANAGER_PORT, C.KUBE_SCHEDULER_PORT, C.KUBELET_PORT, ...(d.cfg.cluster.etcd.local ? [C.ETCD_CLIENT_PORT, C.ETCD_PEER_PORT] : [])];
  for (const p of ports) {
    const host = p === d.cfg.localAPIEndpoint.bindPort || p >= C.ETCD_CLIENT_PORT && p <= C.ETCD_PEER_PORT ? d.cfg.localAPIEndpoint.advertiseAddress : onHost(d.host, '127.0.0.1');
    if (!(await portFree(host, p))) results.push({ name: `Port-${p}`, message: `Port ${p} is in use` });
  }
  reportPreflight(d.out, results, d.ignorePreflightErrors);
}

function certPhases(): Phase<InitData>[] {
  const input = (d: InitData): { fs: HostFS; out: Printer; cfg: InitConfiguration['cluster']; node: { nodeName: string; advertiseAddress: string } } => ({ fs: d.fs, out: d.out, cfg: d.cfg.cluster, node: node(d) });
  const names = ['ca', 'apiserver', 'apiserver-kubelet-client', 'front-proxy-ca', 'front-proxy-client', 'etcd-ca', 'etcd-server', 'etcd-peer', 'etcd-healthcheck-client', 'apiserver-etcd-client'];
  return [
    ...names.map((name): Phase<InitData> => ({
      name,
      short: `Generate the ${name} certificate${name.endsWith('ca') ? ' authority' : ''}`,
      run: async (d) => {
        const def = certDefinitions(d.cfg.cluster, node(d)).find((x) => x.name === name);
        if (!def) {
          d.out.phase('certs', `External etcd mode: Skipping ${name} certificate generation`);
          return;
        }
        await runCertPhase(input(d), def);
      },
    })),
    { name: 'sa', short: 'Generate a private key for signing service account tokens along with its public key', run: (d) => runSAPhase(input(d)) },
  ];
}

function kubeconfigPhases(): Phase<InitData>[] {
  return ['admin', 'super-admin', 'kubelet', 'controller-manager', 'scheduler'].map((name) => ({
    name,
    short: `Generate the kubeconfig file for ${name}`,
    run: async (d) => {
      const def = kubeconfigDefinitions(d.cfg.nodeRegistration.name).find((k) => k.name === name)!;
      await runKubeconfigPhase({ fs: d.fs, out: d.out, cfg: d.cfg.cluster, local: d.cfg.localAPIEndpoint }, def);
    },
  }));
}

async function uploadConfig(d: InitData, which: 'kubeadm' | 'kubelet'): Promise<void> {
  const w = await writer(d);
  const [cm, role, rb, kcm, krole, krb] = uploadConfigObjects(dumpYaml(clusterConfigurationDocument(d.cfg.cluster)), dumpYaml(kubeletConfiguration(d.cfg.cluster, d.cfg.kubelet)));
  if (which === 'kubeadm') {
    d.out.phase('upload-config', `Storing the configuration used in ConfigMap "${C.KUBEADM_CONFIG_CONFIGMAP}" in the "kube-system" Namespace`);
    for (const o of [cm!, role!, rb!]) await w.apply(o);
  } else {
    d.out.phase('kubelet', `Creating a ConfigMap "${C.KUBELET_CONFIG_CONFIGMAP}" in namespace kube-system with the configuration for the kubelets in the cluster`);
    for (const o of [kcm!, krole!, krb!]) await w.apply(o);
  }
}

/** The proxy token owning kubeadm-certs, then the encrypted Secret and its RBAC (copycerts.UploadCerts). */
async function uploadCerts(d: InitData): Promise<void> {
  if (!d.uploadCerts) {
    d.out.phase('upload-certs', 'Skipping phase. Please see --upload-certs');
    return;
  }
  d.certificateKey ??= newCertificateKey();
  d.out.phase('upload-certs', `Storing the certificates in Secret "${C.KUBEADM_CERTS_SECRET}" in the "kube-system" Namespace`);
  const proxy = newBootstrapToken();
  const { id } = parseBootstrapToken(proxy);
  const tokenSecret = bootstrapTokenSecret(proxy, { description: 'Proxy for managing TTL for the kubeadm-certs secret', ttlSeconds: d.certificateTokenTTLSeconds, usages: [], groups: [] });
  const w = await writer(d);
  await w.apply(tokenSecret);
  let uid = '<uid of the proxy token Secret>';
  if (!d.dryRun) {
    const got = await (await client(d)).core.readNamespacedSecret({ name: bootstrapTokenSecretName(id), namespace: 'kube-system' });
    uid = got.metadata?.uid ?? '';
    if (!uid) throw new Error('upload-certs: the proxy token Secret has no uid; cannot make it the owner of kubeadm-certs');
  }
  const dir = d.cfg.cluster.certificatesDir;
  const files: Record<string, string> = {};
  for (const f of SHARED_CERT_FILES) {
    if (f.startsWith('etcd/') && !d.cfg.cluster.etcd.local) continue;
    // kubeadm stores an empty value for a file that is not on disk (external CA without its key)
    files[f] = d.fs.readIfExists(`${dir}/${f}`) ?? '';
  }
  const data = encryptCerts(Object.fromEntries(Object.entries(files).filter(([, v]) => v !== '')), d.certificateKey);
  for (const [f, v] of Object.entries(files)) if (v === '') data[f.replaceAll('/', '-')] = '';
  await w.apply({
    kind: 'Secret', apiVersion: 'v1', type: 'Opaque',
    metadata: {
      name: C.KUBEADM_CERTS_SECRET, namespace: 'kube-system',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: bootstrapTokenSecretName(id), uid, controller: true, blockOwnerDeletion: true }],
    },
    data,
  });
  for (const o of kubeadmCertsRBAC()) await w.apply(o);
  d.out.phase('upload-certs', 'Using certificate key:');
  d.out.line(d.certificateKey);
}

async function bootstrapTokens(d: InitData): Promise<void> {
  const w = await writer(d);
  d.out.phase('bootstrap-token', 'Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles');
  const signatures: Record<string, string> = {};
  const caPem = d.fs.read(`${d.cfg.cluster.certificatesDir}/ca.crt`);
  const kubeconfig = clusterInfoKubeconfig(controlPlaneURL(d.cfg.cluster, d.cfg.localAPIEndpoint), caPem);
  for (const t of d.cfg.bootstrapTokens) {
    await w.apply(bootstrapTokenSecret(t.token, {
      description: t.description, ttlSeconds: t.ttlSeconds, usages: t.usages, groups: t.groups,
      ...(t.expires ? { expires: new Date(t.expires) } : {}),
    }));
    if (t.usages.includes('signing')) {
      const { id, secret } = parseBootstrapToken(t.token);
      // kube-controller-manager's bootstrapsigner would add this; clusterd has none, so init signs directly
      signatures[id] = computeJWS(kubeconfig, id, secret);
    }
  }
  for (const o of bootstrapClusterRoles()) await w.ensure(o);
  d.out.phase('bootstrap-token', 'Configured RBAC rules to allow Node Bootstrap tokens to get nodes');
  d.out.phase('bootstrap-token', 'Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials');
  d.out.phase('bootstrap-token', 'Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token');
  d.out.phase('bootstrap-token', 'Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster');
  for (const o of bootstrapTokenRBAC()) await w.apply(o);
  d.out.phase('bootstrap-token', 'Creating the "cluster-info" ConfigMap in the "kube-public" namespace');
  await w.apply(clusterInfoConfigMap(kubeconfig, signatures));
  for (const o of clusterInfoRBAC()) await w.apply(o);
}

async function addon(d: InitData, which: 'coredns' | 'kube-proxy'): Promise<void> {
  const cfg = d.cfg.cluster;
  if ((which === 'coredns' && cfg.dns.disabled) || (which === 'kube-proxy' && cfg.proxy.disabled)) {
    d.out.phase('addons', `Skipping ${which}: disabled in the ClusterConfiguration`);
    return;
  }
  const objs = which === 'coredns' ? coreDNSObjects(cfg) : kubeProxyObjects(cfg, controlPlaneURL(cfg, d.cfg.localAPIEndpoint));
  const w = await writer(d);
  for (const o of objs) {
    try {
      await w.apply(o);
    } catch (err) {
      if (!(err instanceof NotServedError)) throw err;
      d.out.phase('addons', `Skipped ${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}: ${err.message}`);
    }
  }
  d.out.phase('addons', `Applied essential addon: ${which === 'coredns' ? 'CoreDNS' : 'kube-proxy'}`);
}

function showJoinCommand(d: InitData): void {
  const caPem = d.fs.read(`${d.cfg.cluster.certificatesDir}/ca.crt`);
  const endpoint = d.cfg.cluster.controlPlaneEndpoint || `${d.cfg.localAPIEndpoint.advertiseAddress}:${d.cfg.localAPIEndpoint.bindPort}`;
  const token = d.cfg.bootstrapTokens.find((t) => t.usages.includes('authentication'))?.token ?? d.cfg.bootstrapTokens[0]!.token;
  const base = `clusterd agent join ${endpoint} --token ${token} \\\n\t--discovery-token-ca-cert-hash ${caCertHash(caPem)}`;
  d.out.line('');
  d.out.line('Your Kubernetes control-plane has initialized successfully!');
  d.out.line('');
  d.out.line(`To start using your cluster, use ${C.KUBERNETES_DIR}/${C.ADMIN_CONF} as your kubeconfig.`);
  d.out.line('');
  if (d.cfg.cluster.controlPlaneEndpoint) {
    if (d.certificateKey) {
      d.out.line('You can now join any number of control-plane nodes running the following command on each as root:');
      d.out.line('');
      d.out.line(`  ${base} \\\n\t--control-plane --certificate-key ${d.certificateKey}`);
      d.out.line('');
      d.out.line(`Please note that the certificate-key gives access to cluster sensitive data, keep it secret! As a safeguard, uploaded-certs will be deleted in ${formatDuration(d.certificateTokenTTLSeconds * 1000)}; use "clusterd agent init phase upload-certs --upload-certs" to reload certs afterward.`);
      d.out.line('');
    } else {
      d.out.line('You can join control-plane nodes by copying the certificate authorities and service account keys to each node and then running:');
      d.out.line('');
      d.out.line(`  ${base} \\\n\t--control-plane`);
      d.out.line('');
    }
  }
  d.out.line('Then you can join any number of worker nodes by running the following on each as root:');
  d.out.line('');
  d.out.line(`  ${base}`);
}

export function initWorkflow(): Workflow<InitData> {
  const ifLocalEtcd = async (d: InitData, f: () => Promise<void> | void): Promise<void> => {
    if (!d.cfg.cluster.etcd.local) {
      d.out.phase('etcd', 'External etcd mode: skipping the local etcd static Pod');
      return;
    }
    await f();
  };
  return new Workflow<InitData>('init', [
    { name: 'preflight', short: 'Run pre-flight checks', run: preflight },
    {
      name: 'certs', short: 'Certificate generation',
      run: async (d) => d.out.phase('certs', `Using certificateDir folder "${d.cfg.cluster.certificatesDir}"`),
      phases: certPhases(),
    },
    {
      name: 'kubeconfig', short: 'Generate all kubeconfig files necessary to establish the control plane and the admin kubeconfig file',
      run: async (d) => d.out.phase('kubeconfig', `Using kubeconfig folder "${C.KUBERNETES_DIR}"`),
      phases: kubeconfigPhases(),
    },
    {
      name: 'etcd', short: 'Generate static Pod manifest file for local etcd',
      phases: [{ name: 'local', short: 'Generate the static Pod manifest file for a local, single-node local etcd instance', run: (d) => ifLocalEtcd(d, () => writeManifest(d.fs, d.out, 'etcd', etcdManifest(manifestInput(d)))) }],
    },
    {
      name: 'control-plane', short: 'Generate all static Pod manifest files necessary to establish the control plane',
      run: async (d) => d.out.phase('control-plane', `Using manifest folder "${C.MANIFESTS_DIR}"`),
      phases: CONTROL_PLANE_COMPONENTS.map((c) => ({
        name: c.replace('kube-', ''),
        short: `Generates the ${c} static Pod manifest`,
        run: async (d) => {
          const mi = manifestInput(d);
          writeManifest(d.fs, d.out, 'control-plane', c === 'kube-apiserver' ? apiServerManifest(mi) : c === 'kube-controller-manager' ? controllerManagerManifest(mi) : schedulerManifest(mi));
        },
      })),
    },
    {
      name: 'kubelet-start', short: 'Write kubelet settings and (re)start the kubelet',
      run: async (d) => {
        writeKubeletFiles(d.fs, d.out, dumpYaml(kubeletConfiguration(d.cfg.cluster, d.cfg.kubelet)), d.cfg.nodeRegistration);
        d.out.phase('kubelet-start', 'Starting the kubelet');
      },
    },
    {
      name: 'wait-control-plane', short: 'Wait for the control plane to start',
      run: async (d) => {
        if (d.dryRun) return d.out.phase('dryrun', 'Would wait for the control plane components to be healthy');
        d.out.phase('wait-control-plane', `Waiting for the kubelet to boot up the control plane as static Pods from directory "${C.MANIFESTS_DIR}"`);
        const mi = manifestInput(d);
        const checks = controlPlaneHealthChecks([apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi)], d.cfg.localAPIEndpoint,
          d.fs.read(`${d.cfg.cluster.certificatesDir}/ca.crt`), d.host);
        await waitForControlPlaneComponents(d.out, checks, d.cfg.timeouts.controlPlaneComponentHealthCheck);
      },
    },
    {
      name: 'upload-config', short: 'Upload the kubeadm and kubelet configuration to a ConfigMap',
      phases: [
        { name: 'kubeadm', short: 'Upload the kubeadm ClusterConfiguration to a ConfigMap', run: (d) => uploadConfig(d, 'kubeadm') },
        { name: 'kubelet', short: 'Upload the kubelet component config to a ConfigMap', run: (d) => uploadConfig(d, 'kubelet') },
      ],
    },
    { name: 'upload-certs', short: 'Upload certificates to kubeadm-certs', run: uploadCerts },
    {
      name: 'mark-control-plane', short: 'Mark a node as a control-plane',
      run: async (d) => {
        if (d.dryRun) return d.out.phase('dryrun', `Would label and taint Node ${d.cfg.nodeRegistration.name}`);
        await markControlPlane(await client(d), d.out, d.cfg.nodeRegistration.name, d.cfg.nodeRegistration.taints, d.cfg.timeouts.kubernetesAPICall);
      },
    },
    { name: 'bootstrap-token', short: 'Generates bootstrap tokens used to join a node to a cluster', run: bootstrapTokens },
    {
      name: 'addon', short: 'Install required addons for passing conformance tests',
      phases: [
        { name: 'coredns', short: 'Install the CoreDNS addon to a Kubernetes cluster', run: (d) => addon(d, 'coredns') },
        { name: 'kube-proxy', short: 'Install the kube-proxy addon to a Kubernetes cluster', run: (d) => addon(d, 'kube-proxy') },
      ],
    },
    { name: 'show-join-command', short: 'Show the join command for control-plane and worker node', run: async (d) => showJoinCommand(d) },
  ]);
}
