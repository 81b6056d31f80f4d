/**
 * A small Kubernetes REST client for the simulated kubelets and controller-managers: JSON over HTTPS
 * with one keep-alive connection pool per identity (a thousand kubelets renewing Leases must not pay a
 * TLS handshake per request), and list+watch informers that resume from the last resourceVersion.
 */
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { isAbsolute, join } from 'node:path';
import { parseKubeconfig } from '../../lib/kubeconfig.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly code: number, readonly body: string, method: string, path: string) {
    super(`${method} ${path}: HTTP ${code}: ${summarize(body)}`);
    this.name = 'ApiError';
  }
}

function summarize(body: string): string {
  try {
    const s = JSON.parse(body) as { message?: string };
    return s.message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

export interface ClientIdentity {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
}

export class KubeClient {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(private readonly id: ClientIdentity, opts: { maxSockets?: number } = {}) {
    this.base = new URL(id.server);
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: opts.maxSockets ?? 4,
      ca: id.caPem,
      cert: id.certPem,
      key: id.keyPem,
    });
  }

  /** From a kubeconfig; file-path credentials (kubelet.conf after TLS bootstrap) are read under root. */
  static fromKubeconfig(text: string, opts: { maxSockets?: number; server?: string; root?: string } = {}): KubeClient {
    const k = parseKubeconfig(text);
    const file = (p: string | undefined): string | undefined => (p ? readFileSync(opts.root && isAbsolute(p) ? join(opts.root, p) : p, 'utf8') : undefined);
    return new KubeClient({
      server: opts.server ?? k.server, caPem: k.caPem, token: k.token,
      certPem: k.clientCertPem ?? file(k.clientCertificatePath), keyPem: k.clientKeyPem ?? file(k.clientKeyPath),
    }, opts);
  }

  close(): void {
    this.agent.destroy();
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const { code, text } = await this.raw(method, path, body, contentType);
    if (code >= 400) throw new ApiError(code, text, method, path);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T = KubeObject>(path: string): Promise<T> { return this.request<T>('GET', path); }
  create<T = KubeObject>(path: string, obj: unknown): Promise<T> { return this.request<T>('POST', path, obj); }
  replace<T = KubeObject>(path: string, obj: unknown): Promise<T> { return this.request<T>('PUT', path, obj); }
  mergePatch<T = KubeObject>(path: string, patch: unknown): Promise<T> { return this.request<T>('PATCH', path, patch, 'application/merge-patch+json'); }
  delete(path: string): Promise<unknown> { return this.request('DELETE', path); }

  /** GET that answers undefined for 404. */
  async getOrUndefined<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  private raw(method: string, path: string, body: unknown, contentType: string): Promise<{ code: number; text: string }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        protocol: 'https:', hostname: this.base.hostname, port: this.base.port || 443, path, method, agent: this.agent,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
          ...(this.id.token ? { authorization: `Bearer ${this.id.token}` } : {}),
        },
        timeout: 30_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Streams watch events for a collection path (e.g. /api/v1/namespaces/kube-system/secrets) from
   * resourceVersion; resolves when the stream ends (the caller re-lists or resumes).
   */
  watchStream(path: string, resourceVersion: string, onEvent: (type: string, obj: KubeObject) => void, signal: AbortSignal): Promise<void> {
    const sep = path.includes('?') ? '&' : '?';
    const full = `${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        protocol: 'https:', hostname: this.base.hostname, port: this.base.port || 443, path: full, method: 'GET', agent: this.agent,
        headers: { accept: 'application/json', ...(this.id.token ? { authorization: `Bearer ${this.id.token}` } : {}) },
        signal,
      }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new ApiError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), 'WATCH', path)));
          return;
        }
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
              const ev = JSON.parse(line) as { type: string; object: KubeObject };
              onEvent(ev.type, ev.object);
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
}

export interface InformerHandlers {
  /** Called with the full current set after every (re)list, and with each change after. */
  onSync?(items: Map<string, KubeObject>): void;
  onUpsert?(obj: KubeObject, old: KubeObject | undefined): void;
  onDelete?(obj: KubeObject): void;
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * list+watch into a cache, as client-go's reflector does: watch from the list's resourceVersion, resume
 * from the last seen one when the stream ends, re-list on 410 Gone or an error (with backoff).
 */
export class Informer {
  readonly cache = new Map<string, KubeObject>();
  private readonly abort = new AbortController();
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(private readonly client: KubeClient, private readonly path: string, private readonly handlers: InformerHandlers) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.abort.abort();
  }

  hasSynced(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((r) => this.syncWaiters.push(r));
  }

  private async loop(): Promise<void> {
    let backoff = 200;
    let rv: string | undefined;
    while (!this.abort.signal.aborted) {
      try {
        if (rv === undefined) rv = await this.list();
        let last = rv;
        await this.client.watchStream(this.path, rv, (type, obj) => {
          if (obj.metadata?.resourceVersion) last = obj.metadata.resourceVersion;
          this.apply(type, obj);
        }, this.abort.signal);
        rv = last;
        backoff = 200;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        rv = undefined; // 410 Gone or a broken connection: start over from a fresh list
        if (!(err instanceof ApiError && err.code === 410)) {
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 5000);
        }
      }
    }
  }

  private async list(): Promise<string> {
    const list = await this.client.get<{ metadata: { resourceVersion: string }; items: KubeObject[] }>(this.path);
    const seen = new Set<string>();
    for (const item of list.items) {
      const k = keyOf(item);
      seen.add(k);
      const old = this.cache.get(k);
      this.cache.set(k, item);
      if (old?.metadata.resourceVersion !== item.metadata.resourceVersion) this.handlers.onUpsert?.(item, old);
    }
    for (const [k, old] of this.cache) {
      if (!seen.has(k)) {
        this.cache.delete(k);
        this.handlers.onDelete?.(old);
      }
    }
    this.handlers.onSync?.(this.cache);
    if (!this.synced) {
      this.synced = true;
      this.syncWaiters.splice(0).forEach((w) => w());
    }
    return list.metadata.resourceVersion;
  }

  private apply(type: string, obj: KubeObject): void {
    if (type === 'BOOKMARK') return;
    if (type === 'ERROR') throw new ApiError((obj as unknown as { code?: number }).code ?? 500, JSON.stringify(obj), 'WATCH', this.path);
    const k = keyOf(obj);
    if (type === 'DELETED') {
      this.cache.delete(k);
      this.handlers.onDelete?.(obj);
    } else {
      const old = this.cache.get(k);
      this.cache.set(k, obj);
      this.handlers.onUpsert?.(obj, old);
    }
  }
}
