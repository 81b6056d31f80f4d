/** Steps both init and join take: preflight reporting, kubelet files, waiting for the API server, marking a control plane. */
import { hostname } from 'node:os';
import yaml from 'js-yaml';
import type { V1Node } from '@kubernetes/client-node';
import * as C from '../constants.js';
import type { ClusterConfiguration, NodeRegistration, Taint } from '../config/types.js';
import type { HostFS, Printer } from '../context.js';
import { type ClusterClient, describeApiError, isConflict, isNotFound } from '../api/client.js';
import { nthAddress } from '../netutil.js';
import { httpsGetJSON } from '../discovery.js';
import { type Component, isSupportedVersion, SUPPORTED_MINORS, unknownFlags } from '../flags.js';
import { componentCommand, flagNames, type PodManifest } from '../manifests.js';

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

/** /var/lib/kubelet/config.yaml and kubeadm-flags.env; the machine's kubelet service starts from them. */
export function writeKubeletFiles(fs: HostFS, out: Printer, kubeletYaml: string, reg: NodeRegistration, imageRepository: string): void {
  out.phase('kubelet-start', `Writing kubelet configuration to file "${C.KUBELET_CONFIG_FILE}"`);
  fs.write(C.KUBELET_CONFIG_FILE, kubeletYaml, 0o644);
  const flags = new Map<string, string>([
    ['container-runtime-endpoint', reg.criSocket],
    ['pod-infra-container-image', `${imageRepository}/pause:${C.PAUSE_VERSION}`],
  ]);
  if (reg.name !== hostname().toLowerCase()) flags.set('hostname-override', reg.name);
  for (const a of reg.kubeletExtraArgs) flags.set(a.name, a.value);
  const line = [...flags.entries()].map(([k, v]) => `--${k}=${v}`).join(' ');
  out.phase('kubelet-start', `Writing kubelet environment file with flags to file "${C.KUBELET_FLAGS_ENV}"`);
  fs.write(C.KUBELET_FLAGS_ENV, `KUBELET_KUBEADM_ARGS="${line}"\n`, 0o644);
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
