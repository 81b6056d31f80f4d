/**
 * A shared informer for one kind: a reflector (list, then watch from the list's resourceVersion, with
 * bookmarks; relist on 410 Gone; back-off on errors) feeding an indexed store and fanning out add, update
 * and delete events to every registered handler. The watch stream is client-node's Watch.
 */
import { Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Client } from '../client.js';
import type { GroupVersionKind, KubeObject } from '../types.js';
import { objectKey, Store, type IndexFunc } from './store.js';
import { Sleeper } from '../sleeper.js';

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

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string };
}

class GoneError extends Error {}

const MAX_BACKOFF_MS = 10_000;

export class Informer {
  readonly store = new Store();
  private readonly handlers: EventHandler[] = [];
  private readonly watcher: Watch;
  private resourceVersion = '';
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private running = false;
  private stopped = false;
  private abort?: AbortController;
  private readonly sleeper = new Sleeper();
  private loop?: Promise<void>;

  constructor(
    readonly gvk: GroupVersionKind,
    private readonly client: Client,
    private readonly opts: InformerOptions,
  ) {
    this.watcher = new Watch(client.kubeConfig);
  }

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
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.sleeper.wake();
    await this.loop;
    this.running = false;
  }

  private async run(): Promise<void> {
    let backoff = 200;
    const log = this.opts.logger.child({ informer: `${this.gvk.kind}.${this.gvk.apiVersion}` });
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.listAndReplace();
        await this.watchOnce();
        backoff = 200;
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof GoneError) {
          log.debug('watch resourceVersion expired; relisting');
          this.resourceVersion = '';
          continue;
        }
        log.warn({ err: err instanceof Error ? err.message : String(err), retryInMs: backoff }, 'list/watch failed');
        await this.sleeper.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async listAndReplace(): Promise<void> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.list(this.gvk, { namespace: this.opts.namespace, limit: this.opts.pageSize ?? 500, continue: cont });
      items.push(...page.items);
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? '';
    } while (cont);
    if (this.stopped) return;
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
    this.resourceVersion = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private apply(obj: KubeObject): void {
    obj.apiVersion ??= this.gvk.apiVersion;
    obj.kind ??= this.gvk.kind;
    const old = this.store.upsert(obj);
    if (!old) for (const h of this.handlers) h.onAdd?.(obj);
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) for (const h of this.handlers) h.onUpdate?.(old, obj);
  }

  private async watchOnce(): Promise<void> {
    const path = await this.client.pathFor(this.gvk, this.opts.namespace);
    // Like client-go, end each watch after 5-10 minutes so that load spreads over API servers.
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    await new Promise<void>((resolve, reject) => {
      let gone = false;
      const onEvent = (type: string, object: WatchEvent['object']): void => {
        if (this.stopped) return;
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
            this.apply(object);
            break;
          case 'DELETED': {
            const old = this.store.remove(objectKey(object));
            object.apiVersion ??= this.gvk.apiVersion;
            object.kind ??= this.gvk.kind;
            if (old) for (const h of this.handlers) h.onDelete?.(object);
            break;
          }
          case 'BOOKMARK':
            break;
          case 'ERROR':
            if (object.code === 410) gone = true;
            else this.opts.logger.warn({ code: object.code, message: object.message }, 'watch error event');
            return;
          default:
            return;
        }
        const rv = object.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
      };
      const onDone = (err: unknown): void => {
        this.abort = undefined;
        if (this.stopped) return resolve();
        const code = err && typeof err === 'object' ? ((err as { statusCode?: number }).statusCode ?? (err as { code?: unknown }).code) : undefined;
        if (gone || code === 410) return reject(new GoneError('410 Gone'));
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        resolve();
      };
      this.watcher
        .watch(path, { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds }, onEvent, onDone)
        .then((ctrl: AbortController) => {
          this.abort = ctrl;
          if (this.stopped) ctrl.abort();
        }, reject);
    });
  }
}
