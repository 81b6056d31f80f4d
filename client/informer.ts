/**
 * list+watch into a cache, as client-go's reflector and informer do: watch from the list's resourceVersion,
 * resume from the last seen one when the stream ends, re-list on 410 Gone or an error (with backoff).
 */
import { ApiError, isGone } from './errors.js';
import type { RestClient } from './rest-client.js';

/** The part of an object an informer keys and orders by. */
export interface InformedObject {
  metadata: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface InformerHandlers<T extends InformedObject> {
  /** Called with the full current set after every (re)list, and with each change after. */
  onSync?(items: Map<string, T>): void;
  onUpsert?(obj: T, old: T | undefined): void;
  onDelete?(obj: T): void;
}

const keyOf = (o: InformedObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Informer<T extends InformedObject = InformedObject> {
  readonly cache = new Map<string, T>();
  private readonly abort = new AbortController();
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(private readonly client: RestClient, private readonly path: string, private readonly handlers: InformerHandlers<T>) {}

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
        await this.client.watchStream<T>(this.path, rv, (ev) => {
          if (ev.object.metadata?.resourceVersion) last = ev.object.metadata.resourceVersion;
          this.apply(ev.type, ev.object);
        }, this.abort.signal);
        rv = last;
        backoff = 200;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        rv = undefined; // 410 Gone or a broken connection: start over from a fresh list
        if (!isGone(err)) {
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 5000);
        }
      }
    }
  }

  private async list(): Promise<string> {
    const list = await this.client.get<{ metadata: { resourceVersion: string }; items: T[] }>(this.path);
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

  private apply(type: string, obj: T): void {
    if (type === 'BOOKMARK') return;
    if (type === 'ERROR') {
      const status = obj as unknown as { code?: number; reason?: string; message?: string };
      throw new ApiError(status.code ?? 500, status.reason ?? 'Unknown', `WATCH ${this.path}: ${status.message ?? JSON.stringify(obj)}`);
    }
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
