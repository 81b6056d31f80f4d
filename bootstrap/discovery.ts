/**
 * Join discovery (kubeadm discovery/token and discovery/file): learn the cluster CA and endpoint without trusting the
 * network. Token discovery fetches cluster-info anonymously without verifying TLS, checks the JWS the token signed,
 * pins the CA's public key, then fetches again over verified TLS and requires the same answer.
 */
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { X509Certificate } from 'node:crypto';
import yaml from 'js-yaml';
import { caCertHash } from '../lib/pki.js';
import { parseKubeconfig } from '../lib/kubeconfig.js';
import * as C from './constants.js';
import type { Printer } from './context.js';
import { parseBootstrapToken, verifyJWS } from './tokens.js';
import { parseHostPort } from './config/load.js';
import { joinHostPort } from './netutil.js';

export interface ClusterInfo {
  server: string;
  caPem: string;
  /** The cluster-info kubeconfig exactly as served (what the JWS signs). */
  kubeconfig: string;
}

interface ConfigMapBody {
  data?: Record<string, string>;
}

/** GET over HTTPS, either pinned to ca or (first discovery fetch only) without verification. */
export function httpsGetJSON(url: string, opts: { ca?: string; insecure?: boolean; timeoutMs?: number }): Promise<{ status: number; body: unknown }> {
  return getJSON(url, opts);
}

/** A plain-HTTP GET of a JSON document (etcd's /health on its metrics listener). */
export function httpGetJSON(url: string, timeoutMs = 10_000): Promise<{ status: number; body: unknown }> {
  return getJSON(url, { timeoutMs });
}

/** GET a JSON document over HTTP or HTTPS (by the URL's scheme); a body that is not JSON is kept as text. */
function getJSON(url: string, opts: { ca?: string; insecure?: boolean; timeoutMs?: number }): Promise<{ status: number; body: unknown }> {
  const tls = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const req = (tls ? request : httpRequest)(url, {
      method: 'GET',
      headers: { Accept: 'application/json' },
      ...(!tls ? {} : opts.insecure ? { rejectUnauthorized: false } : { ca: opts.ca, rejectUnauthorized: true }),
      timeout: opts.timeoutMs ?? 10_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // non-JSON error page: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const clusterInfoPath = `/api/v1/namespaces/kube-public/configmaps/${C.CLUSTER_INFO_CONFIGMAP}`;

export interface TokenDiscoveryOptions {
  apiServerEndpoint: string;
  token: string;
  caCertHashes: string[];
  unsafeSkipCAVerification: boolean;
  timeoutMs: number;
  out: Printer;
}

export async function tokenDiscovery(o: TokenDiscoveryOptions): Promise<ClusterInfo> {
  const { id, secret } = parseBootstrapToken(o.token, 'discovery token');
  if (!o.apiServerEndpoint) throw new Error('discovery: no API server endpoint (give it as `join <host:port>` or discovery.bootstrapToken.apiServerEndpoint)');
  if (o.caCertHashes.length === 0 && !o.unsafeSkipCAVerification) {
    throw new Error('discovery: using token-based discovery without caCertHashes can be unsafe; set --discovery-token-ca-cert-hash sha256:<hash>, or --discovery-token-unsafe-skip-ca-verification to accept the risk');
  }
  const { host, port } = parseHostPort(o.apiServerEndpoint, 'apiServerEndpoint');
  const url = `https://${joinHostPort(host, port ?? C.DEFAULT_BIND_PORT)}${clusterInfoPath}`;
  const deadline = Date.now() + o.timeoutMs;
  let lastError = 'no attempt made';
  let insecureKubeconfig: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await httpsGetJSON(url, { insecure: true });
      if (res.status !== 200) throw new Error(`GET cluster-info: HTTP ${res.status}`);
      const data = (res.body as ConfigMapBody).data ?? {};
      const kubeconfig = data.kubeconfig;
      if (!kubeconfig) throw new Error('the cluster-info ConfigMap has no kubeconfig');
      const sig = data[`${C.JWS_KEY_PREFIX}${id}`];
      if (!sig) throw new Error(`there is no JWS signed token in the cluster-info ConfigMap: token id "${id}" is invalid for this cluster or has expired; create a new one on a control-plane node`);
      if (!verifyJWS(sig, kubeconfig, id, secret)) throw new FatalDiscoveryError(`failed to verify the JWS signature of the cluster-info object for token id "${id}"; cannot trust this API server`);
      insecureKubeconfig = kubeconfig;
      break;
    } catch (err) {
      if (err instanceof FatalDiscoveryError) throw err;
      lastError = (err as Error).message;
      if (Date.now() + 1000 > deadline) throw new Error(`discovery: could not obtain a signed cluster-info from ${o.apiServerEndpoint} within ${Math.round(o.timeoutMs / 1000)}s: ${lastError}`);
      if (attempt === 0) o.out.phase('discovery', `Failed to request cluster-info, will try again: ${lastError}`);
      await sleep(1000);
    }
  }
  const info = clusterInfoFromKubeconfig(insecureKubeconfig);
  if (o.unsafeSkipCAVerification) {
    o.out.warn('discovery', 'Using token-based discovery without validating against a CA public key (unsafeSkipCAVerification); the API server is trusted on first use');
  } else {
    const hash = caCertHash(info.caPem);
    if (!o.caCertHashes.includes(hash)) {
      throw new Error(`discovery: the cluster CA found in cluster-info has public key hash ${hash}, which matches none of the given --discovery-token-ca-cert-hash values`);
    }
    o.out.phase('discovery', 'Cluster info signature and contents are valid and the CA public key matches a pinned hash');
  }
  // Ask again, now trusting only that CA, and insist on the same answer (kubeadm's secure re-fetch).
  const secure = await httpsGetJSON(url, { ca: info.caPem });
  const again = (secure.body as ConfigMapBody).data?.kubeconfig;
  if (secure.status !== 200 || again !== insecureKubeconfig) {
    throw new Error('discovery: cluster-info fetched over verified TLS differs from the signed copy; refusing to trust it');
  }
  return info;
}

class FatalDiscoveryError extends Error {}

/** cluster-info's kubeconfig has a cluster and nothing else (no context, no user): read its first cluster. */
export function clusterInfoFromKubeconfig(text: string): ClusterInfo {
  const raw = yaml.load(text) as { clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[] } | null;
  const cluster = raw?.clusters?.[0]?.cluster;
  if (!cluster?.server || !cluster['certificate-authority-data']) throw new Error('discovery: the cluster-info kubeconfig has no cluster with a server and certificate-authority-data');
  const caPem = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  new X509Certificate(caPem); // throws on garbage
  return { server: cluster.server, caPem, kubeconfig: text };
}

/** File discovery: the CA and endpoint come from a kubeconfig the operator put on the machine. */
export function fileDiscovery(text: string, path: string): ClusterInfo & { token?: string } {
  const unnamed = unnamedCluster(text);
  if (unnamed) {
    if (!unnamed.caPem) throw new Error(`discovery: ${path} has no certificate-authority-data for its unnamed cluster`);
    return { server: unnamed.server, caPem: unnamed.caPem, kubeconfig: text };
  }
  let kc;
  try {
    kc = parseKubeconfig(text);
  } catch (err) {
    throw new Error(`discovery: ${path}: ${(err as Error).message}`);
  }
  if (!kc.caPem) throw new Error(`discovery: ${path} has no certificate-authority-data for cluster "${kc.clusterName}"`);
  return { server: kc.server, caPem: kc.caPem, kubeconfig: text, ...(kc.token ? { token: kc.token } : {}) };
}

/**
 * kubeadm's GetClusterFromKubeConfig prefers a cluster named "" over the current context's: that is the shape of
 * cluster-info's kubeconfig, which users save as a discovery file (`kubectl -n kube-public get cm cluster-info`).
 */
function unnamedCluster(text: string): { server: string; caPem?: string } | undefined {
  let raw: unknown;
  try {
    raw = yaml.load(text);
  } catch {
    return undefined;
  }
  const clusters = (raw as { clusters?: unknown } | null)?.clusters;
  if (!Array.isArray(clusters)) return undefined;
  const c = clusters.find((x): x is { name?: string; cluster?: { server?: unknown; 'certificate-authority-data'?: unknown } } => typeof x === 'object' && x !== null && (x as { name?: unknown }).name === '');
  if (!c || typeof c.cluster?.server !== 'string') return undefined;
  const ca = c.cluster['certificate-authority-data'];
  return { server: c.cluster.server, ...(typeof ca === 'string' ? { caPem: Buffer.from(ca, 'base64').toString('utf8') } : {}) };
}
