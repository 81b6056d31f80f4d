/**
 * The transport under every clusterd client (client-go's rest.RESTClient): JSON over HTTP(S) to one API server
 * with the credentials of a @kubernetes/client-node KubeConfig, on ONE keep-alive connection pool per identity (a
 * thousand simulated kubelets renewing Leases must not pay a TLS handshake per request; client-node's own
 * request path builds a fresh agent per call), errors as ApiError, and streaming watches.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isAbsolute, join } from 'node:path';
import { KubeConfig, type Cluster, type User } from '@kubernetes/client-node';
import type { KubeObject } from '../lib/kube.js';
import { errorFromResponse, isNotFound } from './errors.js';

export interface RestClientOptions {
  /** Sent as User-Agent (the API server's default field manager); none when unset. */
  userAgent?: string;
  /** Per-request timeout for non-watch requests. */
  timeoutMs?: number;
  /** Connections kept to the server for this identity. */
  maxSockets?: number;
}

/** A watch event as the API server streams it. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR' | string;
  object: T;
}

/** Where a kubeconfig's certificate files are read from, and which server it talks to instead of its own. */
export interface KubeconfigOverrides {
  server?: string;
  /** File-path credentials (kubelet.conf after TLS bootstrap) are read under this root (a simulated machine's). */
  root?: string;
}

/** A client-node KubeConfig from kubeconfig text, with the server and file roots overridden. */
export function loadKubeConfig(text: string, o: KubeconfigOverrides = {}): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(text);
  if (!o.server && !o.root) return kc;
  const under = (p: string | undefined): string | undefined => (p && o.root && isAbsolute(p) ? join(o.root, p) : p);
  const current = kc.getCurrentContext();
  const clusterOf = kc.getContextObject(current)?.cluster;
  kc.loadFromOptions({
    clusters: kc.clusters.map((c): Cluster => ({ ...c, caFile: under(c.caFile), server: o.server && c.name === clusterOf ? o.server : c.server })),
    users: kc.users.map((u): User => ({ ...u, certFile: under(u.certFile), keyFile: under(u.keyFile) })),
    contexts: kc.contexts,
    currentContext: current,
  });
  return kc;
}

const fileOrData = (data: string | undefined, file: string | undefined): string | undefined =>
  data ? Buffer.from(data, 'base64').toString('utf8') : file ? readFileSync(file, 'utf8') : undefined;

export class RestClient {
  private readonly agent: https.Agent | undefined;
  private readonly server: URL;
  /** The server URL's own path (a proxy's prefix), before every request path. */
  private readonly prefix: string;
  private readonly token: string | undefined;
  /** exec plugins and auth providers hand out short-lived tokens: those are asked for on each request. */
  private readonly dynamicAuth: boolean;

  constructor(readonly kubeConfig: KubeConfig, private readonly opts: RestClientOptions = {}) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig: no current cluster');
    const user = kubeConfig.getCurrentUser();
    this.server = new URL(cluster.server);
    this.prefix = this.server.pathname.replace(/\/$/, '');
    this.token = user?.token;
    this.dynamicAuth = !!(user?.exec || user?.authProvider);
    if (this.server.protocol === 'https:') {
      // The TLS material is read once: every request of this identity reuses the pool's sessions.
      this.agent = new https.Agent({
        keepAlive: true,
        maxSockets: opts.maxSockets ?? 4,
        ca: fileOrData(cluster.caData, cluster.caFile),
        cert: fileOrData(user?.certData, user?.certFile),
        key: fileOrData(user?.keyData, user?.keyFile),
        rejectUnauthorized: !cluster.skipTLSVerify,
        servername: cluster.tlsServerName,
      });
    }
  }

  /** From kubeconfig text (see loadKubeConfig for the overrides). */
  static fromKubeconfig(text: string, opts: RestClientOptions & KubeconfigOverrides = {}): RestClient {
    return new RestClient(loadKubeConfig(text, opts), opts);
  }

  close(): void {
    this.agent?.destroy();
  }

  /** One request; JSON in, JSON out (undefined for an empty body), errors as ApiError. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json', what = `${method} ${path}`): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const extra = payload ? { 'content-type': contentType, 'content-length': String(payload.length) } : undefined;
    const headers = this.dynamicAuth ? await this.dynamicHeaders(extra) : this.headers(extra);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = this.send(path, { method, headers, timeout: this.opts.timeoutMs ?? 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      // Small request/response pairs on a kept-alive socket otherwise wait out Nagle + delayed ACK.
      req.setNoDelay(true);
      req.on('timeout', () => req.destroy(new Error(`${what}: request timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
    if (status < 200 || status >= 300) throw errorFromResponse(status, text, what);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T = KubeObject>(path: string): Promise<T> { return this.request<T>('GET', path); }
  create<T = KubeObject>(path: string, obj: unknown): Promise<T> { return this.request<T>('POST', path, obj); }
  replace<T = KubeObject>(path: string, obj: unknown): Promise<T> { return this.request<T>('PUT', path, obj); }
  mergePatch<T = KubeObject>(path: string, patch: unknown): Promise<T> { return this.request<T>('PATCH', path, patch, 'application/merge-patch+json'); }
  delete(path: string, options?: unknown): Promise<unknown> { return this.request('DELETE', path, options); }

  /** GET that answers undefined for 404. */
  async getOrUndefined<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Streams watch events for a collection path (e.g. /api/v1/namespaces/kube-system/secrets) from
   * resourceVersion; resolves when the stream ends or signal aborts (the caller resumes or re-lists).
   */
  async watchStream<T>(path: string, resourceVersion: string, onEvent: (ev: WatchEvent<T>) => void, signal: AbortSignal, o: { timeoutSeconds?: number; onOpen?: () => void } = {}): Promise<void> {
    const sep = path.includes('?') ? '&' : '?';
    const full = `${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}${o.timeoutSeconds ? `&timeoutSeconds=${o.timeoutSeconds}` : ''}`;
    const headers = this.dynamicAuth ? await this.dynamicHeaders() : this.headers();
    return new Promise((resolve, reject) => {
      const req = this.send(full, { method: 'GET', headers, signal }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(errorFromResponse(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), `WATCH ${path}`)));
          return;
        }
        o.onOpen?.();
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as WatchEvent<T>);
            } catch (err) {
              res.destroy();
              reject(err);
              return;
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      });
      req.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      req.end();
    });
  }

  private send(path: string, o: https.RequestOptions, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    // Plain options rather than a URL per request (the URL is parsed once; IPv6 brackets are URL syntax, not a host).
    const target = { ...o, protocol: this.server.protocol, hostname: this.server.hostname.replace(/^\[(.*)\]$/, '$1'), port: this.server.port, path: this.prefix + path };
    return this.agent ? https.request({ ...target, agent: this.agent }, onResponse) : http.request(target, onResponse);
  }

  /** The headers of a request (static credentials: a bearer token or none, the client certificate is in the pool). */
  private headers(extra?: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.opts.userAgent) h['user-agent'] = this.opts.userAgent;
    if (this.token) h.authorization = `Bearer ${this.token}`;
    return h;
  }

  /** exec plugins and auth providers: the token client-node hands out now. */
  private async dynamicHeaders(extra?: Record<string, string>): Promise<Record<string, string>> {
    const h = this.headers(extra);
    const o: https.RequestOptions = { headers: {} };
    await this.kubeConfig.applyToHTTPSOptions(o);
    const auth = (o.headers as Record<string, string | undefined>).Authorization;
    if (auth) h.authorization = auth;
    return h;
  }
}
