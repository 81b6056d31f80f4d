/**
 * Static Pod manifests for the control plane and stacked etcd (kubeadm phases/controlplane and phases/etcd):
 * kube-system, `tier: control-plane` + `component` labels, system-node-critical, hostNetwork, kubeadm's probes and
 * hostPath volumes, extraArgs overriding defaults by name, extraVolumes appended.
 */
import yaml from 'js-yaml';
import * as C from './constants.js';
import type { Arg, ClusterConfiguration, HostPathMount } from './config/types.js';
import { componentVersions, type Component } from './flags.js';
import { joinHostPort } from './netutil.js';

export interface LocalEndpoint {
  advertiseAddress: string;
  bindPort: number;
}

export interface ManifestInput {
  cfg: ClusterConfiguration;
  nodeName: string;
  local: LocalEndpoint;
  /** External-CA mode: the controller-manager gets no signing key. */
  externalCA?: boolean;
}

export interface EtcdMember {
  name: string;
  peerURL: string;
}

export interface PodManifest {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string>; creationTimestamp: null };
  spec: Record<string, unknown>;
  status: Record<string, never>;
}

/** Defaults first, then extraArgs replacing by name; rendered sorted by name as kubeadm's BuildArgumentListFromMap. */
export function buildArgs(defaults: Record<string, string>, extra: Arg[]): string[] {
  const merged = new Map(Object.entries(defaults));
  const overrides = new Map<string, string[]>();
  for (const a of extra) overrides.set(a.name, [...(overrides.get(a.name) ?? []), a.value]);
  for (const [k] of overrides) merged.delete(k);
  const all: [string, string][] = [...merged.entries()];
  for (const [k, vs] of overrides) for (const v of vs) all.push([k, v]);
  return all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => `--${k}=${v}`);
}

/** Flag names of a rendered command, for the flag-table checks. */
export function flagNames(command: string[]): string[] {
  return command.filter((c) => c.startsWith('--')).map((c) => c.slice(2).split('=')[0]!);
}

export function image(cfg: ClusterConfiguration, name: string): string {
  return `${cfg.imageRepository}/${name}:${cfg.kubernetesVersion}`;
}

interface Vol {
  name: string;
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
  type?: string;
}

const vol = (name: string, hostPath: string, readOnly: boolean, type = 'DirectoryOrCreate', mountPath = hostPath): Vol => ({ name, hostPath, mountPath, readOnly, type });

function caVolumes(): Vol[] {
  return [
    vol('ca-certs', '/etc/ssl/certs', true),
    vol('etc-ca-certificates', '/etc/ca-certificates', true),
    vol('usr-local-share-ca-certificates', '/usr/local/share/ca-certificates', true),
    vol('usr-share-ca-certificates', '/usr/share/ca-certificates', true),
  ];
}

function withExtra(base: Vol[], extra: HostPathMount[]): Vol[] {
  const out = [...base];
  for (const e of extra) {
    const v: Vol = { name: e.name, hostPath: e.hostPath, mountPath: e.mountPath, readOnly: e.readOnly, ...(e.pathType ? { type: e.pathType } : {}) };
    const i = out.findIndex((x) => x.name === e.name);
    if (i >= 0) out[i] = v;
    else out.push(v);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** kubeadm's probes point at the container's named port "probe-port" (staticpodutil, 1.30+). */
const PROBE_PORT = 'probe-port';

function probe(host: string, path: string, scheme: 'HTTP' | 'HTTPS', failureThreshold: number, initialDelaySeconds = 10, periodSeconds = 10): object {
  return { failureThreshold, httpGet: { host, path, port: PROBE_PORT, scheme }, initialDelaySeconds, periodSeconds, timeoutSeconds: 15 };
}

/** kubeadm's three probes: liveness, readiness (when the component has one) and startup. */
function probes(host: string, scheme: 'HTTP' | 'HTTPS', live: string, ready?: string, startup = live): Record<string, object> {
  return {
    livenessProbe: probe(host, live, scheme, 8),
    ...(ready ? { readinessProbe: probe(host, ready, scheme, 3, 0, 1) } : {}),
    startupProbe: probe(host, startup, scheme, 24),
  };
}

function pod(component: string, command: string[], img: string, vols: Vol[], probes: Record<string, object>, probePort: number, requests: Record<string, string>,
  annotations?: Record<string, string>, pullPolicy = 'IfNotPresent'): PodManifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { creationTimestamp: null, labels: { component, tier: 'control-plane' }, name: component, namespace: 'kube-system', ...(annotations ? { annotations } : {}) },
    spec: {
      containers: [{
        command, image: img, imagePullPolicy: pullPolicy, name: component, ...probes,
        ports: [{ containerPort: probePort, name: PROBE_PORT, protocol: 'TCP' }], resources: { requests },
        volumeMounts: vols.map((v) => ({ mountPath: v.mountPath, name: v.name, ...(v.readOnly ? { readOnly: true } : {}) })),
      }],
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes: vols.map((v) => ({ hostPath: { path: v.hostPath, ...(v.type ? { type: v.type } : {}) }, name: v.name })),
    },
    status: {},
  };
}

export function apiServerManifest(input: ManifestInput): PodManifest {
  const { cfg, local } = input;
  const pki = cfg.certificatesDir;
  const defaults: Record<string, string> = {
    'advertise-address': local.advertiseAddress,
    'allow-privileged': 'true',
    'authorization-mode': 'Node,RBAC',
    'client-ca-file': `${pki}/ca.crt`,
    'enable-admission-plugins': 'NodeRestriction',
    'enable-bootstrap-token-auth': 'true',
    'kubelet-client-certificate': `${pki}/apiserver-kubelet-client.crt`,
    'kubelet-client-key': `${pki}/apiserver-kubelet-client.key`,
    'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
    'proxy-client-cert-file': `${pki}/front-proxy-client.crt`,
    'proxy-client-key-file': `${pki}/front-proxy-client.key`,
    'requestheader-allowed-names': 'front-proxy-client',
    'requestheader-client-ca-file': `${pki}/front-proxy-ca.crt`,
    'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
    'requestheader-group-headers': 'X-Remote-Group',
    'requestheader-username-headers': 'X-Remote-User',
    'secure-port': String(local.bindPort),
    'service-account-issuer': `https://kubernetes.default.svc.${cfg.networking.dnsDomain}`,
    'service-account-key-file': `${pki}/sa.pub`,
    'service-account-signing-key-file': `${pki}/sa.key`,
    'service-cluster-ip-range': cfg.networking.serviceSubnet,
    'tls-cert-file': `${pki}/apiserver.crt`,
    'tls-private-key-file': `${pki}/apiserver.key`,
  };
  if (cfg.etcd.external) {
    defaults['etcd-servers'] = cfg.etcd.external.endpoints.join(',');
    if (cfg.etcd.external.caFile) defaults['etcd-cafile'] = cfg.etcd.external.caFile;
    if (cfg.etcd.external.certFile) defaults['etcd-certfile'] = cfg.etcd.external.certFile;
    if (cfg.etcd.external.keyFile) defaults['etcd-keyfile'] = cfg.etcd.external.keyFile;
  } else {
    defaults['etcd-servers'] = `https://127.0.0.1:${C.ETCD_CLIENT_PORT}`;
    defaults['etcd-cafile'] = `${pki}/etcd/ca.crt`;
    defaults['etcd-certfile'] = `${pki}/apiserver-etcd-client.crt`;
    defaults['etcd-keyfile'] = `${pki}/apiserver-etcd-client.key`;
  }
  if (Object.keys(cfg.featureGates).length > 0) defaults['feature-gates'] = featureGates(cfg.featureGates);
  const command = ['kube-apiserver', ...buildArgs(defaults, cfg.apiServer.extraArgs)];
  const vols = withExtra([...caVolumes(), vol('k8s-certs', pki, true)], cfg.apiServer.extraVolumes);
  const host = local.advertiseAddress;
  return pod('kube-apiserver', command, image(cfg, 'kube-apiserver'), vols, probes(host, 'HTTPS', '/livez', '/readyz'), local.bindPort, { cpu: '250m' }, { [C.ANNOTATION_APISERVER_ENDPOINT]: joinHostPort(local.advertiseAddress, local.bindPort) });
}

function featureGates(g: Record<string, boolean>): string {
  return Object.entries(g).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(',');
}

export function controllerManagerManifest(input: ManifestInput): PodManifest {
  const { cfg } = input;
  const pki = cfg.certificatesDir;
  const kubeconfig = `${C.KUBERNETES_DIR}/${C.CONTROLLER_MANAGER_CONF}`;
  const defaults: Record<string, string> = {
    'authentication-kubeconfig': kubeconfig,
    'authorization-kubeconfig': kubeconfig,
    'bind-address': '127.0.0.1',
    'client-ca-file': `${pki}/ca.crt`,
    'cluster-name': cfg.clusterName,
    'cluster-signing-cert-file': input.externalCA ? '' : `${pki}/ca.crt`,
    'cluster-signing-key-file': input.externalCA ? '' : `${pki}/ca.key`,
    controllers: '*,bootstrapsigner,tokencleaner',
    kubeconfig,
    'leader-elect': 'true',
    'requestheader-client-ca-file': `${pki}/front-proxy-ca.crt`,
    'root-ca-file': `${pki}/ca.crt`,
    'service-account-private-key-file': `${pki}/sa.key`,
    'service-cluster-ip-range': cfg.networking.serviceSubnet,
    'use-service-account-credentials': 'true',
  };
  if (cfg.networking.podSubnet) {
    defaults['allocate-node-cidrs'] = 'true';
    defaults['cluster-cidr'] = cfg.networking.podSubnet;
  }
  if (Object.keys(cfg.featureGates).length > 0) defaults['feature-gates'] = featureGates(cfg.featureGates);
  const command = ['kube-controller-manager', ...buildArgs(defaults, cfg.controllerManager.extraArgs)];
  const vols = withExtra([
    ...caVolumes(),
    vol('flexvolume-dir', '/usr/libexec/kubernetes/kubelet-plugins/volume/exec', false),
    vol('k8s-certs', pki, true),
    vol('kubeconfig', kubeconfig, true, 'FileOrCreate'),
  ], cfg.controllerManager.extraVolumes);
  return pod('kube-controller-manager', command, image(cfg, 'kube-controller-manager'), vols, probes('127.0.0.1', 'HTTPS', '/healthz'),
    C.KUBE_CONTROLLER_MANAGER_PORT, { cpu: '200m' });
}

export function schedulerManifest(input: ManifestInput): PodManifest {
  const { cfg } = input;
  const kubeconfig = `${C.KUBERNETES_DIR}/${C.SCHEDULER_CONF}`;
  const defaults: Record<string, string> = {
    'authentication-kubeconfig': kubeconfig,
    'authorization-kubeconfig': kubeconfig,
    'bind-address': '127.0.0.1',
    kubeconfig,
    'leader-elect': 'true',
  };
  if (Object.keys(cfg.featureGates).length > 0) defaults['feature-gates'] = featureGates(cfg.featureGates);
  const command = ['kube-scheduler', ...buildArgs(defaults, cfg.scheduler.extraArgs)];
  const vols = withExtra([vol('kubeconfig', kubeconfig, true, 'FileOrCreate')], cfg.scheduler.extraVolumes);
  // kube-scheduler: /livez and /readyz, as kubeadm 1.37 probes it
  return pod('kube-scheduler', command, image(cfg, 'kube-scheduler'), vols, probes('127.0.0.1', 'HTTPS', '/livez', '/readyz'), C.KUBE_SCHEDULER_PORT, { cpu: '100m' });
}

export const etcdPeerURL = (address: string): string => `https://${joinHostPort(address, C.ETCD_PEER_PORT)}`;

/**
 * The stacked etcd member. `existing` lists the members already in the cluster when this node joins: they go into
 * --initial-cluster with this one, and --initial-cluster-state=existing.
 */
export function etcdManifest(input: ManifestInput, existing?: EtcdMember[]): PodManifest {
  const { cfg, local, nodeName } = input;
  const etcd = cfg.etcd.local;
  if (!etcd) throw new Error('etcd: the cluster uses external etcd; there is no local etcd manifest');
  const pki = `${cfg.certificatesDir}/etcd`;
  const client = `https://${joinHostPort(local.advertiseAddress, C.ETCD_CLIENT_PORT)}`;
  const peer = etcdPeerURL(local.advertiseAddress);
  const members = [...(existing ?? []).filter((m) => m.name !== nodeName), { name: nodeName, peerURL: peer }];
  const defaults: Record<string, string> = {
    'advertise-client-urls': client,
    'cert-file': `${pki}/server.crt`,
    'client-cert-auth': 'true',
    'data-dir': etcd.dataDir,
    // etcd 3.6 and later (every supported release pins one): the experimental- spellings are gone
    'feature-gates': 'InitialCorruptCheck=true',
    'initial-advertise-peer-urls': peer,
    'initial-cluster': members.map((m) => `${m.name}=${m.peerURL}`).join(','),
    'key-file': `${pki}/server.key`,
    'listen-client-urls': `https://127.0.0.1:${C.ETCD_CLIENT_PORT},${client}`,
    'listen-metrics-urls': `http://127.0.0.1:${C.ETCD_METRICS_PORT}`,
    'listen-peer-urls': peer,
    name: nodeName,
    'peer-cert-file': `${pki}/peer.crt`,
    'peer-client-cert-auth': 'true',
    'peer-key-file': `${pki}/peer.key`,
    'peer-trusted-ca-file': `${pki}/ca.crt`,
    'snapshot-count': '10000',
    'trusted-ca-file': `${pki}/ca.crt`,
    'watch-progress-notify-interval': '5s',
  };
  if (existing && existing.length > 0) defaults['initial-cluster-state'] = 'existing';
  const command = ['etcd', ...buildArgs(defaults, etcd.extraArgs)];
  const vols: Vol[] = [vol('etcd-certs', pki, false, 'DirectoryOrCreate'), vol('etcd-data', etcd.dataDir, false, 'DirectoryOrCreate')];
  const img = `${etcd.imageRepository ?? cfg.imageRepository}/etcd:${etcd.imageTag ?? componentVersions(cfg.kubernetesVersion).etcd}`;
  // etcd 3.6+: /livez and /readyz on the metrics listener (kubeadm 1.37's probes; /health?serializable=true before)
  return pod('etcd', command, img, vols, probes('127.0.0.1', 'HTTP', '/livez', '/readyz', '/readyz'), C.ETCD_METRICS_PORT,
    { cpu: '100m', memory: '100Mi' }, { [C.ANNOTATION_ETCD_CLIENT_URLS]: client });
}

export function manifestYaml(m: PodManifest): string {
  return yaml.dump(m, { lineWidth: -1, noRefs: true, sortKeys: false });
}

export function componentCommand(m: PodManifest): string[] {
  const containers = m.spec.containers as { command: string[] }[];
  return containers[0]!.command;
}

export const CONTROL_PLANE_COMPONENTS: Component[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
