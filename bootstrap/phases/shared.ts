/**
 * Steps both init and join take: preflight reporting, static Pod manifests, kubelet files, waiting for the API server,
 * marking a control plane.
 */
import { hostname } from 'node:os';
import yaml from 'js-yaml';
import type { V1Node } from '@kubernetes/client-node';
import * as C from '../constants.js';
import type { ClusterConfiguration, NodeRegistration, Taint } from '../config/types.js';
import type { HostFS, Printer } from '../context.js';
import { type ClusterClient, describeApiError, isConflict, isNotFound } from '../api/client.js';
import { joinHostPort, nthAddress } from '../netutil.js';
import { onHost, type HostFacts } from '../host.js';
import { formatDuration } from '../config/schema.js';
import { httpsGetJSON } from '../discovery.js';
import { type Component, isSupportedVersion, SUPPORTED_MINORS, unknownFlags } from '../flags.js';
import { componentCommand, flagNames, manifestYaml, type PodManifest } from '../manifests.js';

export interface PreflightResult {
  name: string;
  message: string;
  warning?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** kubeadm's preflight report: warnings print, errors fail unless their check is in --ignore-preflight-errors (or "all"). */
export function reportPreflight(out: Printer, results: PreflightResult[], ignore: Set<string>): void {
  const isIgnored = (n: string): boolean => ignore.has('all') || ignore.has(n.toLowerCase());
  const errors: PreflightResult[] = [];
  for (const r of results) {
    if (r.warning) out.warn('preflight', r.message);
    else if (isIgnored(r.name)) out.warn('preflight', `${r.name}: ${r.message} (ignored)`);
    else errors.push(r);
  }
  if (errors.length > 0) {
    throw new Error(`[preflight] Some fatal errors occurred:\n${errors.map((e) => `\t[ERROR ${e.name}]: ${e.message}`).join('\n')}\n` +
      '[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`');
  }
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function checkNodeName(name: string): PreflightResult[] {
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [{ name: 'NodeName', message: `node name "${name}" is not a valid DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', at most 253 characters)` }];
  }
  return [];
}

export function checkManifestsDir(fs: HostFS): PreflightResult[] {
  try {
    const entries = fs.exists(C.MANIFESTS_DIR) ? fs.list(C.MANIFESTS_DIR) : [];
    if (entries.length > 0) return [{ name: 'DirAvailable--etc-kubernetes-manifests', message: `${C.MANIFESTS_DIR} is not empty` }];
  } catch {
    // unreadable: the write later says so
  }
  return [];
}

/**
 * The target version's checks, for init and join alike: this agent knows the minor, and every flag of every static Pod it
 * would write (defaults and extraArgs) is one that minor's binary accepts, so a manifest never crash-loops on an unknown flag.
 */
export function checkTargetVersion(version: string, manifests: PodManifest[]): PreflightResult[] {
  if (!isSupportedVersion(version)) {
    return [{ name: 'KubernetesVersion', message: `Kubernetes ${version} is not supported by this agent (supported minors: ${SUPPORTED_MINORS.join(', ')})` }];
  }
  const out: PreflightResult[] = [];
  for (const m of manifests) {
    const bad = unknownFlags(version, m.metadata.name as Component, flagNames(componentCommand(m)));
    if (bad.length > 0) out.push({ name: 'ExtraArgs', message: `${m.metadata.name} ${version} does not accept the flags ${bad.map((b) => `--${b}`).join(', ')}` });
  }
  return out;
}

/** The KubeletConfiguration kubeadm writes, the user's document laid over kubeadm's defaults. */
export function kubeletConfiguration(cfg: ClusterConfiguration, user: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    authentication: { anonymous: { enabled: false }, webhook: { cacheTTL: '0s', enabled: true }, x509: { clientCAFile: `${cfg.certificatesDir}/ca.crt` } },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '0s', cacheUnauthorizedTTL: '0s' } },
    cgroupDriver: 'systemd',
    clusterDNS: [nthAddress(cfg.networking.serviceSubnet, 10)],
    clusterDomain: cfg.networking.dnsDomain,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    rotateCertificates: true,
    staticPodPath: C.MANIFESTS_DIR,
    ...user,
  };
}

/**
 * The kubelet's files, as kubeadm 1.36+ writes them (NodeLocalCRISocket): the node's CRI socket lives in
 * /var/lib/kubelet/instance-config.yaml (containerRuntimeEndpoint), which is laid over the cluster's KubeletConfiguration
 * into /var/lib/kubelet/config.yaml; kubeadm-flags.env keeps only node-specific flags (no --container-runtime-endpoint,
 * no --pod-infra-container-image, and no kubeadm.alpha.kubernetes.io/cri-socket Node annotation anywhere). A joining
 * worker registers with its taints by flag; a control plane gets them in mark-control-plane.
 */
export function writeKubeletFiles(fs: HostFS, out: Printer, kubeletYaml: string, reg: NodeRegistration, opts: { registerTaints?: boolean } = {}): void {
  const instance = `containerRuntimeEndpoint: ${JSON.stringify(reg.criSocket)}\n`;
  out.phase('kubelet-start', `Writing kubelet instance configuration to file "${C.KUBELET_INSTANCE_CONFIG_FILE}"`);
  fs.write(C.KUBELET_INSTANCE_CONFIG_FILE, instance, 0o644);
  const config = { ...(yaml.load(kubeletYaml) as Record<string, unknown> | null ?? {}), ...(yaml.load(instance) as Record<string, unknown>) };
  out.phase('kubelet-start', `Writing kubelet configuration to file "${C.KUBELET_CONFIG_FILE}"`);
  fs.write(C.KUBELET_CONFIG_FILE, dumpYaml(config), 0o644);
  const flags = new Map<string, string>();
  if (opts.registerTaints && reg.taints.length > 0) flags.set('register-with-taints', reg.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(','));
  if (reg.name !== hostname().toLowerCase()) flags.set('hostname-override', reg.name);
  for (const a of reg.kubeletExtraArgs) flags.set(a.name, a.value);
  const line = [...flags.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `--${k}=${v}`).join(' ');
  out.phase('kubelet-start', `Writing kubelet environment file with flags to file "${C.KUBELET_FLAGS_ENV}"`);
  fs.write(C.KUBELET_FLAGS_ENV, `KUBELET_KUBEADM_ARGS="${line}"\n`, 0o644);
}

/** Writes a static Pod manifest where the kubelet reads them (kubeadm's WriteStaticPodToDisk). */
export function writeManifest(fs: HostFS, out: Printer, tag: string, m: PodManifest): void {
  out.phase(tag, `Creating static Pod manifest for "${m.metadata.name}"`);
  fs.write(`${C.MANIFESTS_DIR}/${m.metadata.name}.yaml`, manifestYaml(m), 0o600);
}

export function dumpYaml(o: unknown): string {
  return yaml.dump(o, { lineWidth: -1, noRefs: true });
}

/** Waits until the API server at url answers /healthz over TLS verified with caPem (kubeadm's wait-control-plane). */
export async function waitForAPIServer(out: Printer, url: string, caPem: string, timeoutMs: number): Promise<void> {
  out.phase('wait-control-plane', `Waiting for the API server at ${url} to be healthy. This can take up to ${Math.round(timeoutMs / 1000)}s`);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await httpsGetJSON(`${url}/healthz`, { ca: caPem, timeoutMs: 5000 });
      // 401 still proves a live, correctly-certified server when anonymous access is off. A 403 does not: anonymous
      // /healthz is allowed by system:public-info-viewer, so a real kube-apiserver answers 403 only until its RBAC
      // bootstrap roles exist, and the phases after this one would find no cluster-admin.
      if (res.status === 200 || res.status === 401) {
        out.phase('api-check', `The API server is healthy`);
        return;
      }
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`wait-control-plane: the API server at ${url} did not become healthy within ${Math.round(timeoutMs / 1000)}s: ${last}`);
    await sleep(500);
  }
}

interface ComponentCheck {
  name: string;
  url: string;
  /** kube-apiserver is checked with the cluster CA; the others serve self-signed certificates (kubeadm skips verify). */
  ca?: string;
}

/** kubeadm's getControlPlaneComponents: where each component's health endpoint is, from its static Pod's flags. */
export function controlPlaneHealthChecks(manifests: PodManifest[], apiServer: { advertiseAddress: string; bindPort: number }, caPem: string, host?: HostFacts): ComponentCheck[] {
  const flag = (m: PodManifest | undefined, name: string): string | undefined =>
    m ? componentCommand(m).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) : undefined;
  const byName = (n: string): PodManifest | undefined => manifests.find((m) => m.metadata.name === n);
  const api = byName('kube-apiserver');
  const url = (addr: string, port: string, path: string): string => `https://${joinHostPort(addr, Number(port))}/${path}`;
  const kcm = byName('kube-controller-manager');
  const sched = byName('kube-scheduler');
  return [
    { name: 'kube-apiserver', url: url(flag(api, 'advertise-address') ?? apiServer.advertiseAddress, flag(api, 'secure-port') ?? String(apiServer.bindPort), 'livez'), ca: caPem },
    // the API server at its advertise address; the others where they bind, 127.0.0.1 being this host's loopback
    { name: 'kube-controller-manager', url: url(onHost(host, flag(kcm, 'bind-address') ?? '127.0.0.1'), flag(kcm, 'secure-port') ?? String(C.KUBE_CONTROLLER_MANAGER_PORT), 'healthz') },
    { name: 'kube-scheduler', url: url(onHost(host, flag(sched, 'bind-address') ?? '127.0.0.1'), flag(sched, 'secure-port') ?? String(C.KUBE_SCHEDULER_PORT), 'livez') },
  ];
}

/**
 * kubeadm's WaitForAllControlPlaneComponents (GA in 1.34): init and a control-plane join wait for every component's
 * health endpoint, not only the API server's, and fail naming the ones that never became healthy.
 */
export async function waitForControlPlaneComponents(out: Printer, checks: ComponentCheck[], timeoutMs: number): Promise<void> {
  out.phase('control-plane-check', `Waiting for healthy control plane components. This can take up to ${formatDuration(timeoutMs)}`);
  const started = Date.now();
  const results = await Promise.all(checks.map(async (c) => {
    out.phase('control-plane-check', `Checking ${c.name} at ${c.url}`);
    let last = '';
    for (;;) {
      try {
        const res = await httpsGetJSON(c.url, { ...(c.ca ? { ca: c.ca } : { insecure: true }), timeoutMs: 5000 });
        // 401 still proves a live, correctly-certified server when anonymous access is off. A 403 does not: anonymous
        // /livez is allowed by system:public-info-viewer, so a real kube-apiserver answers 403 only until its RBAC
        // bootstrap roles exist, and the phases after this one would find no cluster-admin (as waitForAPIServer).
        if (res.status === 200 || (c.ca && res.status === 401)) {
          out.phase('control-plane-check', `${c.name} is healthy after ${((Date.now() - started) / 1000).toFixed(3)}s`);
          return undefined;
        }
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() - started > timeoutMs) return `${c.name} check failed at ${c.url}: ${last}`;
      await sleep(500);
    }
  }));
  const failed = results.filter((r): r is string => r !== undefined);
  if (failed.length > 0) throw new Error(`wait-control-plane: the control plane did not become healthy within ${formatDuration(timeoutMs)}: ${failed.join('; ')}`);
}

/**
 * Labels and taints the Node as a control plane. The Node is registered by the kubelet, which may still be starting,
 * so this waits for it (kubeadm retries for its kubernetesAPICall timeout) and updates with optimistic concurrency.
 */
export async function markControlPlane(client: ClusterClient, out: Printer, nodeName: string, taints: Taint[], timeoutMs: number): Promise<void> {
  const labels = [C.LABEL_CONTROL_PLANE, C.LABEL_EXCLUDE_LB];
  out.phase('mark-control-plane', `Marking the node ${nodeName} as control-plane by adding the labels: [${labels.join(' ')}]`);
  if (taints.length > 0) out.phase('mark-control-plane', `Marking the node ${nodeName} as control-plane by adding the taints [${taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(' ')}]`);
  const deadline = Date.now() + timeoutMs;
  let waited = false;
  for (;;) {
    let node: V1Node;
    try {
      node = await client.core.readNode({ name: nodeName });
    } catch (err) {
      if (!isNotFound(err)) throw describeApiError(err, `mark-control-plane: reading Node ${nodeName}`);
      if (Date.now() > deadline) throw new Error(`mark-control-plane: Node "${nodeName}" did not register within ${Math.round(timeoutMs / 1000)}s; is the kubelet running on this machine?`);
      if (!waited) out.phase('mark-control-plane', `Waiting for the kubelet to register Node "${nodeName}"`);
      waited = true;
      await sleep(500);
      continue;
    }
    node.metadata = node.metadata ?? {};
    node.metadata.labels = { ...node.metadata.labels, ...Object.fromEntries(labels.map((l) => [l, ''])) };
    const existing = node.spec?.taints ?? [];
    const merged = [...existing];
    for (const t of taints) if (!merged.some((e) => e.key === t.key && e.effect === t.effect)) merged.push({ key: t.key, effect: t.effect, ...(t.value ? { value: t.value } : {}) });
    node.spec = { ...node.spec, taints: merged };
    try {
      await client.core.replaceNode({ name: nodeName, body: node });
      return;
    } catch (err) {
      if (isConflict(err)) continue;
      throw describeApiError(err, `mark-control-plane: updating Node ${nodeName}`);
    }
  }
}
