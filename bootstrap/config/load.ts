/**
 * Reads kubeadm configuration files (kubeadm.k8s.io/v1beta3 and v1beta4; InitConfiguration, ClusterConfiguration,
 * JoinConfiguration, plus an optional kubelet.config.k8s.io/v1beta1 KubeletConfiguration), several documents in one
 * YAML, and applies kubeadm's defaults.
 */
import { isIP } from 'node:net';
import yaml from 'js-yaml';
import * as C from '../constants.js';
import { newBootstrapToken, parseBootstrapToken } from '../tokens.js';
import { decodeCertificateKey } from '../copycerts.js';
import { detectHost, type HostFacts } from '../host.js';
import { minorDistance, mustParseVersion } from '../../lib/version.js';
import { DEFAULT_ENCRYPTION_ALGORITHM, ENCRYPTION_ALGORITHMS, type EncryptionAlgorithm } from '../../lib/pki.js';
import { checkSchema, clusterConfigurationSchema, formatDuration, initConfigurationSchema, joinConfigurationSchema, parseDuration } from './schema.js';
import type {
  APIEndpoint, Arg, BootstrapTokenSpec, ClusterConfiguration, ControlPlaneComponent, HostPathMount, InitConfiguration,
  JoinConfiguration, NodeRegistration, Taint, Timeouts,
} from './types.js';

export const KUBEADM_GROUP = 'kubeadm.k8s.io';
const VERSIONS = ['v1beta3', 'v1beta4'] as const;
type KubeadmVersion = (typeof VERSIONS)[number];

type Raw = Record<string, unknown>;

export interface ConfigDocuments {
  init?: Raw;
  cluster?: Raw;
  join?: Raw;
  kubelet?: Raw;
  version?: KubeadmVersion;
  /** The kind of the first kubeadm document, for kubeadm's messages about its API version. */
  firstKind?: string;
}

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Splits and strictly checks the documents; every problem in every document is reported at once. */
export function parseConfigDocuments(text: string): ConfigDocuments {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text);
  } catch (err) {
    throw new Error(`config: not valid YAML: ${(err as Error).message}`);
  }
  const out: ConfigDocuments = {};
  const errors: string[] = [];
  docs.forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    if (!isRecord(doc)) {
      errors.push(`document ${i + 1}: not a mapping`);
      return;
    }
    const apiVersion = String(doc.apiVersion ?? '');
    const kind = String(doc.kind ?? '');
    if (!apiVersion || !kind) {
      errors.push(`document ${i + 1}: apiVersion and kind are required`);
      return;
    }
    if (apiVersion === 'kubelet.config.k8s.io/v1beta1' && kind === 'KubeletConfiguration') {
      out.kubelet = doc;
      return;
    }
    if (apiVersion === 'kubeproxy.config.k8s.io/v1alpha1' && kind === 'KubeProxyConfiguration') return; // accepted, not used
    const [group, version] = apiVersion.split('/');
    if (group !== KUBEADM_GROUP || !(VERSIONS as readonly string[]).includes(version ?? '')) {
      errors.push(`document ${i + 1}: unsupported apiVersion "${apiVersion}" (want ${VERSIONS.map((v) => `${KUBEADM_GROUP}/${v}`).join(' or ')})`);
      return;
    }
    const v4 = version === 'v1beta4';
    const schema = kind === 'InitConfiguration' ? initConfigurationSchema(v4)
      : kind === 'ClusterConfiguration' ? clusterConfigurationSchema(v4)
        : kind === 'JoinConfiguration' ? joinConfigurationSchema(v4) : undefined;
    if (!schema) {
      errors.push(`document ${i + 1}: unknown kind "${kind}" in ${apiVersion}`);
      return;
    }
    const docErrors: string[] = [];
    checkSchema(doc, schema, '', docErrors);
    errors.push(...docErrors.map((e) => `${kind}: ${e}`));
    const slot = kind === 'InitConfiguration' ? 'init' : kind === 'ClusterConfiguration' ? 'cluster' : 'join';
    if (out[slot]) errors.push(`document ${i + 1}: a second ${kind}`);
    out[slot] = doc;
    if (out.version && out.version !== version) errors.push(`document ${i + 1}: mixes ${out.version} and ${version}`);
    out.version = version as KubeadmVersion;
    out.firstKind ??= kind;
  });
  if (errors.length > 0) throw new Error(`invalid configuration:\n  ${errors.join('\n  ')}`);
  return out;
}

/** The first minor whose kubeadm refuses kubeadm.k8s.io/v1beta3 (kubeadm 1.34-1.36 accept it with a deprecation warning). */
export const V1BETA3_REMOVED_IN = '1.37';

/**
 * What kubeadm of the target release says about the config API of the documents: 1.37 refuses v1beta3 ("Please use
 * kubeadm v1.36 instead"), 1.34-1.36 warn that it is deprecated; v1beta4 is current. Same messages as kubeadm's
 * validateSupportedVersion (cmd/kubeadm/app/util/config/common.go).
 */
export function checkConfigAPIVersion(version: KubeadmVersion | undefined, kind: string | undefined, kubernetesVersion: string): { error?: string; warning?: string } {
  if (version !== 'v1beta3') return {};
  const gv = `${KUBEADM_GROUP}/v1beta3`;
  if (minorDistance(`v${V1BETA3_REMOVED_IN}.0`, kubernetesVersion) >= 0) {
    return {
      error: `your configuration file uses an old API spec: "${gv}" (kind: "${kind ?? ''}"). Please use kubeadm v1.36 instead and run 'kubeadm config migrate --old-config old-config-file --new-config new-config-file', which will write the new, similar spec using a newer API version.`,
    };
  }
  return {
    warning: `your configuration file uses a deprecated API spec: "${gv}" (kind: "${kind ?? ''}"). Please use 'kubeadm config migrate --old-config old-config-file --new-config new-config-file', which will write the new, similar spec using a newer API version.`,
  };
}

// ---- helpers ---------------------------------------------------------------------------------------------

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const rec = (v: unknown): Raw => (isRecord(v) ? v : {});

/** v1beta3 maps and v1beta4 name/value lists both become an ordered list; kubeadm sorts flags by name when rendering. */
function args(v: unknown): Arg[] {
  if (Array.isArray(v)) return v.map((a) => ({ name: String(rec(a).name), value: String(rec(a).value ?? '') }));
  if (isRecord(v)) return Object.entries(v).map(([name, value]) => ({ name, value: String(value) }));
  return [];
}

function volumes(v: unknown, field: string): HostPathMount[] {
  return (Array.isArray(v) ? v : []).map((raw, i) => {
    const r = rec(raw);
    const name = str(r.name); const hostPath = str(r.hostPath); const mountPath = str(r.mountPath);
    if (!name || !hostPath || !mountPath) throw new Error(`${field}[${i}]: name, hostPath and mountPath are required`);
    return { name, hostPath, mountPath, readOnly: r.readOnly === true, ...(str(r.pathType) ? { pathType: str(r.pathType) } : {}) };
  });
}

function component(v: unknown, field: string): ControlPlaneComponent {
  const r = rec(v);
  return { extraArgs: args(r.extraArgs), extraVolumes: volumes(r.extraVolumes, `${field}.extraVolumes`) };
}

const CIDR = /^([0-9.]+|[0-9a-fA-F:]+)\/(\d{1,3})$/;
function checkCidrs(value: string, field: string): void {
  for (const c of value.split(',')) {
    const m = CIDR.exec(c.trim());
    if (!m || !isIP(m[1]!) || Number(m[2]) > (isIP(m[1]!) === 4 ? 32 : 128)) throw new Error(`${field}: "${c}" is not a CIDR`);
  }
}

export function normalizeVersion(v: string, field = 'kubernetesVersion'): string {
  return mustParseVersion(v, field).text;
}

function endpoint(v: unknown, field: string, host: HostFacts): APIEndpoint {
  const r = rec(v);
  const advertiseAddress = str(r.advertiseAddress) ?? host.defaultAddress;
  if (!isIP(advertiseAddress)) throw new Error(`${field}.advertiseAddress: "${advertiseAddress}" is not an IP address`);
  const bindPort = typeof r.bindPort === 'number' && r.bindPort !== 0 ? r.bindPort : C.DEFAULT_BIND_PORT;
  if (!Number.isInteger(bindPort) || bindPort < 1 || bindPort > 65535) throw new Error(`${field}.bindPort: ${bindPort} is not a port`);
  return { advertiseAddress, bindPort };
}

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
function nodeRegistration(v: unknown, controlPlane: boolean, host: HostFacts): NodeRegistration {
  const r = rec(v);
  let taints: Taint[];
  if (Array.isArray(r.taints)) {
    taints = r.taints.map((t, i) => {
      const tr = rec(t);
      const key = str(tr.key); const effect = str(tr.effect);
      if (!key) throw new Error(`nodeRegistration.taints[${i}].key is required`);
      if (!effect || !EFFECTS.includes(effect)) throw new Error(`nodeRegistration.taints[${i}].effect: must be one of ${EFFECTS.join(', ')}`);
      return { key, effect, ...(str(tr.value) ? { value: str(tr.value) } : {}) };
    });
  } else {
    // kubeadm: an absent (nil) list means the default control-plane taint; an empty list means none.
    taints = controlPlane ? [{ key: C.LABEL_CONTROL_PLANE, effect: 'NoSchedule' }] : [];
  }
  return {
    name: (str(r.name) ?? host.hostname).toLowerCase(),
    criSocket: str(r.criSocket) ?? C.DEFAULT_CRI_SOCKET,
    taints,
    kubeletExtraArgs: args(r.kubeletExtraArgs),
    ignorePreflightErrors: strs(r.ignorePreflightErrors),
    imagePullPolicy: str(r.imagePullPolicy) ?? 'IfNotPresent',
  };
}

function timeouts(v: unknown, legacy: { controlPlane?: unknown; discovery?: unknown }): Timeouts {
  const r = rec(v);
  const d = (x: unknown, def: number): number => (typeof x === 'string' ? parseDuration(x) : def);
  return {
    controlPlaneComponentHealthCheck: d(r.controlPlaneComponentHealthCheck ?? legacy.controlPlane, 4 * 60_000),
    kubernetesAPICall: d(r.kubernetesAPICall, 60_000),
    etcdAPICall: d(r.etcdAPICall, 2 * 60_000),
    tlsBootstrap: d(r.tlsBootstrap, 5 * 60_000),
    discovery: d(r.discovery ?? legacy.discovery, 5 * 60_000),
  };
}

// ---- ClusterConfiguration --------------------------------------------------------------------------------

export function clusterConfiguration(raw: Raw = {}): ClusterConfiguration {
  const net = rec(raw.networking);
  const serviceSubnet = str(net.serviceSubnet) ?? C.DEFAULT_SERVICE_SUBNET;
  checkCidrs(serviceSubnet, 'networking.serviceSubnet');
  const podSubnet = str(net.podSubnet);
  if (podSubnet) checkCidrs(podSubnet, 'networking.podSubnet');
  const etcd = rec(raw.etcd);
  if (etcd.local && etcd.external) throw new Error('etcd: local and external are mutually exclusive');
  const ext = isRecord(etcd.external) ? etcd.external : undefined;
  const local = rec(etcd.local);
  const api = rec(raw.apiServer);
  const dns = rec(raw.dns);
  const cpe = str(raw.controlPlaneEndpoint) ?? '';
  if (cpe) parseHostPort(cpe, 'controlPlaneEndpoint');
  const encryptionAlgorithm = str(raw.encryptionAlgorithm) ?? DEFAULT_ENCRYPTION_ALGORITHM;
  if (!(ENCRYPTION_ALGORITHMS as readonly string[]).includes(encryptionAlgorithm)) {
    // kubeadm's ValidateEncryptionAlgorithm, as a field.Invalid error
    throw new Error(`encryptionAlgorithm: Invalid value: "${encryptionAlgorithm}": Invalid encryption algorithm "${encryptionAlgorithm}". Must be one of [${[...ENCRYPTION_ALGORITHMS].sort().join(' ')}]`);
  }
  const validity = certValidity(raw);
  return {
    kubernetesVersion: normalizeVersion(str(raw.kubernetesVersion) ?? C.DEFAULT_KUBERNETES_VERSION),
    clusterName: str(raw.clusterName) ?? C.DEFAULT_CLUSTER_NAME,
    controlPlaneEndpoint: cpe,
    imageRepository: str(raw.imageRepository) ?? C.DEFAULT_IMAGE_REPOSITORY,
    certificatesDir: str(raw.certificatesDir) ?? C.DEFAULT_CERTS_DIR,
    networking: { serviceSubnet, dnsDomain: str(net.dnsDomain) ?? C.DEFAULT_DNS_DOMAIN, ...(podSubnet ? { podSubnet } : {}) },
    etcd: ext
      ? {
        external: {
          endpoints: strs(ext.endpoints), caFile: str(ext.caFile) ?? '', certFile: str(ext.certFile) ?? '', keyFile: str(ext.keyFile) ?? '',
        },
      }
      : {
        local: {
          dataDir: str(local.dataDir) ?? C.DEFAULT_ETCD_DATA_DIR,
          extraArgs: args(local.extraArgs),
          serverCertSANs: strs(local.serverCertSANs),
          peerCertSANs: strs(local.peerCertSANs),
          ...(str(local.imageRepository) ? { imageRepository: str(local.imageRepository) } : {}),
          ...(str(local.imageTag) ? { imageTag: str(local.imageTag) } : {}),
        },
      },
    apiServer: { ...component(api, 'apiServer'), certSANs: strs(api.certSANs) },
    controllerManager: component(raw.controllerManager, 'controllerManager'),
    scheduler: component(raw.scheduler, 'scheduler'),
    featureGates: Object.fromEntries(Object.entries(rec(raw.featureGates)).map(([k, v]) => [k, v === true])),
    dns: {
      disabled: dns.disabled === true,
      ...(str(dns.imageRepository) ? { imageRepository: str(dns.imageRepository) } : {}),
      ...(str(dns.imageTag) ? { imageTag: str(dns.imageTag) } : {}),
    },
    proxy: { disabled: rec(raw.proxy).disabled === true },
    encryptionAlgorithm: encryptionAlgorithm as EncryptionAlgorithm,
    ...validity,
  };
}

/** kubeadm's certificate lifetimes: one year for leaves, ten for CAs (constants.CertificateValidityPeriod and CA…). */
export const CERTIFICATE_VALIDITY_MS = 365 * 24 * 3_600_000;
export const CA_CERTIFICATE_VALIDITY_MS = 10 * CERTIFICATE_VALIDITY_MS;

/**
 * certificateValidityPeriod and caCertificateValidityPeriod, with kubeadm's ValidateCertValidity findings. kubeadm
 * prints these as warnings and goes on, so they are returned, not thrown.
 */
function certValidity(raw: Raw): { certificateValidityPeriodMs: number; caCertificateValidityPeriodMs: number; warnings?: string[] } {
  const leaf = typeof raw.certificateValidityPeriod === 'string' ? parseDuration(raw.certificateValidityPeriod) : undefined;
  const ca = typeof raw.caCertificateValidityPeriod === 'string' ? parseDuration(raw.caCertificateValidityPeriod) : undefined;
  const warnings: string[] = [];
  if (leaf !== undefined && leaf > CERTIFICATE_VALIDITY_MS) {
    warnings.push(`certificateValidityPeriod: the value ${formatDuration(leaf)} is more than the recommended default for certificate expiration: ${formatDuration(CERTIFICATE_VALIDITY_MS)}`);
  }
  if (ca !== undefined && ca > CA_CERTIFICATE_VALIDITY_MS) {
    warnings.push(`caCertificateValidityPeriod: the value ${formatDuration(ca)} is more than the recommended default for CA certificate expiration: ${formatDuration(CA_CERTIFICATE_VALIDITY_MS)}`);
  }
  if (leaf !== undefined && ca !== undefined && leaf > ca) {
    warnings.push(`certificateValidityPeriod: the value ${formatDuration(leaf)} is more than the caCertificateValidityPeriod: ${formatDuration(ca)}`);
  }
  return {
    certificateValidityPeriodMs: leaf ?? CERTIFICATE_VALIDITY_MS,
    caCertificateValidityPeriodMs: ca ?? CA_CERTIFICATE_VALIDITY_MS,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

export function parseHostPort(s: string, field: string): { host: string; port?: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new Error(`${field}: "${s}" is not host[:port]`);
  const port = m[2] ? Number(m[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`${field}: port ${port} out of range`);
  return { host: m[1]!, ...(port ? { port } : {}) };
}

// ---- InitConfiguration -----------------------------------------------------------------------------------

function bootstrapTokens(v: unknown): BootstrapTokenSpec[] {
  const list = Array.isArray(v) && v.length > 0 ? v : [{}];
  return list.map((raw, i) => {
    const r = rec(raw);
    const token = str(r.token) ?? newBootstrapToken();
    parseBootstrapToken(token, `bootstrapTokens[${i}].token`);
    const ttlSeconds = typeof r.ttl === 'string' ? parseDuration(r.ttl) / 1000 : C.DEFAULT_TOKEN_TTL_SECONDS;
    const expires = str(r.expires);
    if (expires && Number.isNaN(Date.parse(expires))) throw new Error(`bootstrapTokens[${i}].expires: "${expires}" is not an RFC 3339 time`);
    return {
      token, ttlSeconds,
      usages: Array.isArray(r.usages) ? strs(r.usages) : ['signing', 'authentication'],
      groups: Array.isArray(r.groups) ? strs(r.groups) : [C.NODE_BOOTSTRAP_TOKEN_AUTH_GROUP],
      ...(str(r.description) ? { description: str(r.description) } : {}),
      ...(expires ? { expires } : {}),
    };
  });
}

export function initConfiguration(docs: ConfigDocuments, host: HostFacts = detectHost()): InitConfiguration {
  if (docs.join) throw new Error('config: a JoinConfiguration cannot be used for init');
  const raw = docs.init ?? {};
  const cluster = clusterConfiguration(docs.cluster);
  // init's target release is the one it sets up: its kubeadm is the one whose config API rules apply
  const api = checkConfigAPIVersion(docs.version, docs.firstKind, cluster.kubernetesVersion);
  if (api.error) throw new Error(api.error);
  if (api.warning) cluster.warnings = [...(cluster.warnings ?? []), api.warning];
  const certificateKey = str(raw.certificateKey);
  if (certificateKey) decodeCertificateKey(certificateKey);
  return {
    bootstrapTokens: bootstrapTokens(raw.bootstrapTokens),
    nodeRegistration: nodeRegistration(raw.nodeRegistration, true, host),
    localAPIEndpoint: endpoint(raw.localAPIEndpoint, 'localAPIEndpoint', host),
    skipPhases: strs(raw.skipPhases),
    timeouts: timeouts(raw.timeouts, { controlPlane: rec(docs.cluster?.apiServer).timeoutForControlPlane }),
    cluster,
    kubelet: docs.kubelet ?? {},
    ...(certificateKey ? { certificateKey } : {}),
    ...(docs.version ? { configAPIVersion: docs.version } : {}),
  };
}

// ---- JoinConfiguration -----------------------------------------------------------------------------------

const HASH = /^sha256:[0-9a-f]{64}$/;

export function joinConfiguration(docs: ConfigDocuments, host: HostFacts = detectHost()): JoinConfiguration {
  if (docs.init) throw new Error('config: an InitConfiguration cannot be used for join');
  const raw = docs.join ?? {};
  const disc = rec(raw.discovery);
  const bt = isRecord(disc.bootstrapToken) ? disc.bootstrapToken : undefined;
  const file = isRecord(disc.file) ? disc.file : undefined;
  if (bt && file) throw new Error('discovery: bootstrapToken and file are mutually exclusive');
  const discovery: JoinConfiguration['discovery'] = {};
  if (bt) {
    const token = str(bt.token) ?? '';
    if (token) parseBootstrapToken(token, 'discovery.bootstrapToken.token');
    const hashes = strs(bt.caCertHashes).map((h) => h.toLowerCase());
    hashes.forEach((h, i) => {
      if (!HASH.test(h)) throw new Error(`discovery.bootstrapToken.caCertHashes[${i}]: "${h}" is not sha256:<64 hex>`);
    });
    const apiServerEndpoint = str(bt.apiServerEndpoint) ?? '';
    if (apiServerEndpoint) parseHostPort(apiServerEndpoint, 'discovery.bootstrapToken.apiServerEndpoint');
    discovery.bootstrapToken = { token, apiServerEndpoint, caCertHashes: hashes, unsafeSkipCAVerification: bt.unsafeSkipCAVerification === true };
  }
  if (file) discovery.file = { kubeConfigPath: str(file.kubeConfigPath) ?? '' };
  const tls = str(disc.tlsBootstrapToken);
  if (tls) {
    parseBootstrapToken(tls, 'discovery.tlsBootstrapToken');
    discovery.tlsBootstrapToken = tls;
  }
  const cp = isRecord(raw.controlPlane) ? raw.controlPlane : undefined;
  const certificateKey = cp ? str(cp.certificateKey) : undefined;
  if (certificateKey) decodeCertificateKey(certificateKey);
  return {
    nodeRegistration: nodeRegistration(raw.nodeRegistration, cp !== undefined, host),
    caCertPath: str(raw.caCertPath) ?? `${C.DEFAULT_CERTS_DIR}/ca.crt`,
    discovery,
    skipPhases: strs(raw.skipPhases),
    timeouts: timeouts(raw.timeouts, { discovery: disc.timeout }),
    ...(docs.version ? { configAPIVersion: docs.version, configAPIKind: docs.firstKind ?? 'JoinConfiguration' } : {}),
    ...(cp ? { controlPlane: { localAPIEndpoint: endpoint(cp.localAPIEndpoint, 'controlPlane.localAPIEndpoint', host), ...(certificateKey ? { certificateKey } : {}) } } : {}),
  };
}
