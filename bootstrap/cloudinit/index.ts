/**
 * Machine → `#cloud-config` user-data that runs `clusterd agent init|join` on first boot, as Cluster API's kubeadm
 * bootstrap provider does with kubeadm: the kubeadm-format configuration (and, for the first control plane, the
 * cluster's CAs) in write_files, the agent between the Machine's pre and post commands in runcmd, and its users.
 */
import { gzipSync, gunzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import type { Bootstrap, Cluster } from '../../api/v1alpha1/index.js';
import { clusterPKIFiles, type ClusterPKI } from '../pki-files.js';
import { dumpDocuments, prune } from '../config/serialize.js';
import { parseBootstrapToken } from '../tokens.js';
import { decodeCertificateKey } from '../copycerts.js';
import { parseDuration } from '../config/schema.js';
import { DEFAULT_CERTS_DIR, DEFAULT_KUBERNETES_VERSION } from '../constants.js';

export const USER_DATA_LIMIT = 16 * 1024;
export const CONFIG_PATH = '/run/clusterd/kubeadm.yaml';

export interface CloudInitFile {
  path: string;
  content: string;
  permissions?: string;
  owner?: string;
  /** How content is given: plain text, base64, or gzip+base64. */
  encoding?: 'b64' | 'gz+b64';
}

export interface CloudInitUser {
  name: string;
  sshAuthorizedKeys?: string[];
  sudo?: string;
  groups?: string[];
  shell?: string;
}

/**
 * What the renderer takes, in the API's terms (as Cluster API's bootstrap provider renders from its KubeadmConfig): the
 * kubeadm role, where the cluster answers, how to trust it, the credentials the role needs, and the Machine's own
 * bootstrap extras. The Machine controller hands it over as it is.
 */
export interface CloudInitInput {
  role: 'init' | 'join-control-plane' | 'join-worker';
  nodeName: string;
  clusterName: string;
  version?: string;
  controlPlaneEndpoint: { host: string; port: number };
  clusterNetwork?: Cluster['spec']['clusterNetwork'];
  kubeadm?: Cluster['spec']['kubeadm'];
  /** A bootstrap token ("<id>.<secret>"): for init, the one init creates; for joins, one already in the workload cluster. */
  token: string;
  caCertHashes?: string[];
  /** init: upload kubeadm-certs with it; join-control-plane: download with it. */
  certificateKey?: string;
  /** init: how long kubeadm-certs lives (its proxy token's TTL, a Go duration such as "2h"); the agent's default is 2h. */
  certificateTokenTTL?: string;
  /** The machine's address for its API server and etcd member; the agent picks one when absent. */
  advertiseAddress?: string;
  /** init only: the shared CAs and service-account key, written on the init machine (as CAPI does) so every member starts from the same PKI. */
  certs?: ClusterPKI;
  /** The Machine's bootstrap extras (spec.bootstrap without dataSecretName); the controller inlines contentFrom first. */
  extras?: Bootstrap;
  /** The Machine's provider ID when known, for the kubelet's --provider-id (the provider may set it too). */
  providerID?: string;
  /** The agent binary on the image. */
  agent?: string;
}

/** spec.bootstrap.files as cloud-init's write_files entries (the API's encodings in cloud-init's spelling). */
function extraFiles(b: Bootstrap | undefined): CloudInitFile[] {
  return (b?.files ?? []).map((f, i) => {
    if (f.content === undefined) {
      // The Machine controller inlines contentFrom (file-content.ts) before rendering.
      throw new Error(`spec.bootstrap.files[${i}]: neither content nor a resolved contentFrom`);
    }
    const encoding = f.encoding === 'base64' ? 'b64' : f.encoding ? 'gz+b64' : undefined;
    return { path: f.path, content: f.content, permissions: f.permissions, owner: f.owner, ...(encoding ? { encoding } : {}) };
  });
}

function fileEntry(f: CloudInitFile): Record<string, unknown> {
  return prune({ path: f.path, owner: f.owner ?? 'root:root', permissions: f.permissions ?? '0644', encoding: f.encoding, content: f.content });
}

/** Plain text, or gzip+base64 when that is smaller (large configs compress; PEM does not). */
function compact(path: string, content: string, permissions: string): CloudInitFile {
  const gz = gzipSync(Buffer.from(content), { level: 9 }).toString('base64');
  return gz.length < content.length ? { path, content: gz, permissions, encoding: 'gz+b64' } : { path, content, permissions };
}

/** v1beta4's extraArgs: a list of name/value pairs, sorted by name as kubeadm renders them. */
const mapArgs = (m?: Record<string, string>): { name: string; value: string }[] | undefined =>
  (m && Object.keys(m).length > 0 ? Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value })) : undefined);

function nodeRegistration(i: CloudInitInput, controlPlane: boolean): Record<string, unknown> {
  const kubeletExtraArgs: Record<string, string> = { ...i.extras?.kubeletExtraArgs };
  const labels = Object.entries(i.extras?.nodeLabels ?? {});
  if (labels.length > 0) kubeletExtraArgs['node-labels'] = labels.map(([k, v]) => `${k}=${v}`).join(',');
  const taints = i.extras?.nodeTaints ?? (controlPlane ? undefined : []);
  return prune({ name: i.nodeName, kubeletExtraArgs: mapArgs(kubeletExtraArgs), ...(taints !== undefined ? { taints } : {}) });
}

function validate(i: CloudInitInput): void {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(i.nodeName)) throw new Error(`nodeName: "${i.nodeName}" is not a DNS-1123 subdomain`);
  parseBootstrapToken(i.token, 'token');
  if (i.certificateKey) decodeCertificateKey(i.certificateKey);
  if (i.certificateTokenTTL !== undefined) {
    if (i.role !== 'init') throw new Error('certificateTokenTTL: only the init machine uploads kubeadm-certs');
    let ms = 0;
    try {
      ms = parseDuration(i.certificateTokenTTL);
    } catch {
      // reported below
    }
    if (ms < 1000) throw new Error(`certificateTokenTTL: "${i.certificateTokenTTL}" is not a duration of at least 1s`);
  }
  if (i.role !== 'init' && (i.caCertHashes ?? []).length === 0) throw new Error('caCertHashes: a joining machine needs the CA public key hash');
  if (i.role === 'join-control-plane' && !i.certificateKey) throw new Error('certificateKey: a joining control plane needs the certificate key to download kubeadm-certs');
  if (!Number.isInteger(i.controlPlaneEndpoint.port) || i.controlPlaneEndpoint.port < 1 || i.controlPlaneEndpoint.port > 65535) throw new Error('controlPlaneEndpoint.port: not a port');
}

const endpointString = (e: { host: string; port: number }): string => (e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);

/** The kubeadm v1beta4 documents the agent on the machine reads (v1beta3 is refused by kubeadm 1.37). */
export function kubeadmConfigFor(i: CloudInitInput): string {
  const v = 'kubeadm.k8s.io/v1beta4';
  const endpoint = endpointString(i.controlPlaneEndpoint);
  if (i.role === 'init') {
    const k = i.kubeadm ?? {};
    const cluster = prune({
      apiVersion: v, kind: 'ClusterConfiguration', clusterName: i.clusterName, kubernetesVersion: i.version ?? DEFAULT_KUBERNETES_VERSION,
      controlPlaneEndpoint: endpoint, imageRepository: k.imageRepository, featureGates: k.featureGates,
      networking: prune({ serviceSubnet: i.clusterNetwork?.services?.cidrBlocks.join(','), podSubnet: i.clusterNetwork?.pods?.cidrBlocks.join(','), dnsDomain: i.clusterNetwork?.serviceDomain }),
      apiServer: prune({ certSANs: k.apiServer?.certSANs, extraArgs: mapArgs(k.apiServer?.extraArgs), extraVolumes: k.apiServer?.extraVolumes }),
      controllerManager: prune({ extraArgs: mapArgs(k.controllerManager?.extraArgs), extraVolumes: k.controllerManager?.extraVolumes }),
      scheduler: prune({ extraArgs: mapArgs(k.scheduler?.extraArgs), extraVolumes: k.scheduler?.extraVolumes }),
      etcd: k.etcd?.external ? { external: k.etcd.external } : k.etcd?.local ? { local: prune({ ...k.etcd.local, extraArgs: mapArgs(k.etcd.local.extraArgs) }) } : undefined,
    });
    const init = prune({
      apiVersion: v, kind: 'InitConfiguration',
      bootstrapTokens: [{ token: i.token, groups: ['system:bootstrappers:kubeadm:default-node-token'], usages: ['signing', 'authentication'] }],
      nodeRegistration: nodeRegistration(i, true),
      localAPIEndpoint: i.advertiseAddress ? { advertiseAddress: i.advertiseAddress, bindPort: i.controlPlaneEndpoint.port } : undefined,
      certificateKey: i.certificateKey,
    });
    return dumpDocuments([init, cluster]);
  }
  const join = prune({
    apiVersion: v, kind: 'JoinConfiguration',
    nodeRegistration: nodeRegistration(i, i.role === 'join-control-plane'),
    discovery: { bootstrapToken: { apiServerEndpoint: endpoint, token: i.token, caCertHashes: i.caCertHashes } },
    controlPlane: i.role === 'join-control-plane'
      ? prune({ certificateKey: i.certificateKey, localAPIEndpoint: i.advertiseAddress ? { advertiseAddress: i.advertiseAddress, bindPort: i.controlPlaneEndpoint.port } : undefined })
      : undefined,
  });
  return dumpDocuments([join]);
}

const shellQuote = (s: string): string => (/^[A-Za-z0-9_./:=@,+-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

/** Renders the user-data. Secrets it carries are only what this machine needs: the token, the key, and (init) the CAs. */
export function renderCloudInit(i: CloudInitInput): string {
  validate(i);
  const files: CloudInitFile[] = [];
  if (i.role === 'init' && i.certs) {
    for (const [name, content] of Object.entries(clusterPKIFiles(i.certs))) {
      files.push({ path: `${DEFAULT_CERTS_DIR}/${name}`, content, permissions: name.endsWith('.key') ? '0600' : '0644' });
    }
  }
  files.push(compact(CONFIG_PATH, kubeadmConfigFor(i), '0600'));
  files.push(...extraFiles(i.extras));
  const agent = i.agent ?? 'clusterd';
  const upload = i.certificateKey ? ['--upload-certs', ...(i.certificateTokenTTL ? ['--certificate-token-ttl', i.certificateTokenTTL] : [])] : [];
  const verb = i.role === 'init' ? ['init', ...upload] : ['join'];
  const runcmd = [...(i.extras?.preCommands ?? []), [agent, 'agent', ...verb, '--config', CONFIG_PATH].map(shellQuote).join(' '), ...(i.extras?.postCommands ?? [])];
  const doc = prune({
    write_files: files.map(fileEntry),
    runcmd,
    users: i.extras?.users?.map((u) => prune({
      name: u.name, ssh_authorized_keys: u.sshAuthorizedKeys, sudo: u.sudo, groups: u.groups?.split(',').map((g) => g.trim()).filter(Boolean).join(', '), shell: u.shell,
    })),
  });
  return `#cloud-config\n${yaml.dump(doc, { lineWidth: -1, noRefs: true })}`;
}

export interface ParsedCloudConfig {
  writeFiles: { path: string; content: string; permissions: string; owner: string }[];
  runcmd: string[];
  users: CloudInitUser[];
}

/** Reads user-data this renderer produced: files decoded, commands as shell lines. Errors name the field. */
export function parseCloudConfig(text: string): ParsedCloudConfig {
  if (!text.startsWith('#cloud-config\n')) throw new Error('user-data: the first line must be #cloud-config');
  const doc = yaml.load(text) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object') throw new Error('user-data: not a YAML mapping');
  const wf = (doc.write_files ?? []) as Record<string, unknown>[];
  if (!Array.isArray(wf)) throw new Error('write_files: expected a list');
  const writeFiles = wf.map((f, n) => {
    if (typeof f.path !== 'string' || !f.path.startsWith('/')) throw new Error(`write_files[${n}].path: an absolute path is required`);
    const raw = typeof f.content === 'string' ? f.content : '';
    const enc = f.encoding;
    let content: string;
    if (enc === undefined || enc === 'text/plain') content = raw;
    else if (enc === 'b64' || enc === 'base64') content = Buffer.from(raw, 'base64').toString('utf8');
    else if (enc === 'gz+b64' || enc === 'gzip+base64' || enc === 'gz+base64') content = gunzipSync(Buffer.from(raw, 'base64')).toString('utf8');
    else throw new Error(`write_files[${n}].encoding: "${String(enc)}" is not supported`);
    return { path: f.path, content, permissions: typeof f.permissions === 'string' ? f.permissions : '0644', owner: typeof f.owner === 'string' ? f.owner : 'root:root' };
  });
  const rc = (doc.runcmd ?? []) as unknown[];
  if (!Array.isArray(rc)) throw new Error('runcmd: expected a list');
  const runcmd = rc.map((c, n) => {
    if (typeof c === 'string') return c;
    if (Array.isArray(c)) return c.map((x) => shellQuote(String(x))).join(' ');
    throw new Error(`runcmd[${n}]: expected a string or a list`);
  });
  const us = (doc.users ?? []) as Record<string, unknown>[];
  const users = (Array.isArray(us) ? us : []).filter((u) => typeof u === 'object').map((u) => ({
    name: String(u.name),
    ...(Array.isArray(u.ssh_authorized_keys) ? { sshAuthorizedKeys: u.ssh_authorized_keys.map(String) } : {}),
    ...(typeof u.sudo === 'string' ? { sudo: u.sudo } : {}),
    ...(typeof u.groups === 'string' ? { groups: u.groups.split(',').map((g) => g.trim()) } : {}),
    ...(typeof u.shell === 'string' ? { shell: u.shell } : {}),
  }));
  return { writeFiles, runcmd, users };
}

export interface UserDataSize {
  bytes: number;
  limit: number;
  withinLimit: boolean;
}

/** Size against the EC2 16 KiB user-data limit, for benchmarks and for refusing oversize Machines. */
export function userDataSizeReport(userData: string, limit = USER_DATA_LIMIT): UserDataSize {
  const bytes = Buffer.byteLength(userData);
  return { bytes, limit, withinLimit: bytes <= limit };
}
