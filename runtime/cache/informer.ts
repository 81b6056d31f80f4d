/**
 * A shared informer for one kind: the client layer's Reflector (list, then watch from the list's resourceVersion,
 * with bookmarks; relist on 410 Gone; back-off on errors) feeding an indexed store and fanning out add, update
 * and delete events to every registered handler.
 */
import type { Logger } from 'pino';
import { Reflector } from '../../client/reflector.js';
import type { Client } from '../client.js';
import type { GroupVersionKind, KubeObject } from '../types.js';
import { objectKey, Store, type IndexFunc } from './store.js';

export interface EventHandler {
  onAdd?(obj: KubeObject): void;
  onUpdate?(oldObj: KubeObject, newObj: KubeObject): void;
  onDelete?(obj: KubeObject): void;
}

export interface InformerOptions {
  /** Watch only this namespace (ignored for cluster-scoped kinds). */
  namespace?: string;
  logger: Logger;
  /** List page size. */
  pageSize?: number;
}

const MAX_BACKOFF_MS = 10_000;

export class Informer {
  readonly store = new Store();
  private readonly handlers: EventHandler[] = [];
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private reflector?: Reflector<KubeObject>;

  constructor(
    readonly gvk: GroupVersionKind,
    private readonly client: Client,
    private readonly opts: InformerOptions,
  ) {}

  /** Registers a handler; if the store is already filled, it first receives an add for every object. */
  addEventHandler(h: EventHandler): void {
    this.handlers.push(h);
    if (this.synced && h.onAdd) for (const obj of this.store.values()) h.onAdd(obj);
  }

  addIndexer(name: string, fn: IndexFunc): void {
    this.store.addIndexer(name, fn);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true when the first list is in the store, false if signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  start(): void {
    if (this.reflector) return;
    const log = this.opts.logger.child({ informer: `${this.gvk.kind}.${this.gvk.apiVersion}` });
    this.reflector = new Reflector<KubeObject>(this.client.rest, () => this.client.pathFor(this.gvk, this.opts.namespace), {
      replace: (items) => this.replace(items),
      upsert: (obj) => this.apply(obj),
      remove: (obj) => {
        const old = this.store.remove(objectKey(obj));
        this.fillKind(obj);
        if (old) for (const h of this.handlers) h.onDelete?.(obj);
      },
    }, {
      pageSize: this.opts.pageSize ?? 500,
      // Like client-go, end each watch after 5-10 minutes so that load spreads over API servers.
      watchTimeoutSeconds: () => 300 + Math.floor(Math.random() * 300),
      maxBackoffMs: MAX_BACKOFF_MS,
      onError: (err, retryInMs) => log.warn({ err: err instanceof Error ? err.message : String(err), retryInMs }, 'list/watch failed'),
    });
    this.reflector.start();
  }

  async stop(): Promise<void> {
    const r = this.reflector;
    this.reflector = undefined;
    await r?.stop();
  }

  private replace(items: KubeObject[]): void {
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(objectKey(obj));
      this.apply(obj);
    }
    for (const key of [...this.store.keys()]) {
      if (!seen.has(key)) {
        const old = this.store.remove(key)!;
        for (const h of this.handlers) h.onDelete?.(old);
      }
    }
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private fillKind(obj: KubeObject): void {
    obj.apiVersion ??= this.gvk.apiVersion;
    obj.kind ??= this.gvk.kind;
  }

  private apply(obj: KubeObject): void {
    this.fillKind(obj);
    const old = this.store.upsert(obj);
    if (!old) for (const h of this.handlers) h.onAdd?.(obj);
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) for (const h of this.handlers) h.onUpdate?.(old, obj);
  }
}
