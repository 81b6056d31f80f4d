/** A list+watch cache of one collection path, with change handlers: the providers' informer, on the shared Reflector. */
import { Reflector, type ReflectedObject } from './reflector.js';
import type { RestClient } from './rest-client.js';

export interface InformerHandlers<T extends ReflectedObject> {
  /** Called with the full current set after every (re)list, and with each change after. */
  onSync?(items: Map<string, T>): void;
  onUpsert?(obj: T, old: T | undefined): void;
  onDelete?(obj: T): void;
}

const keyOf = (o: ReflectedObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Informer<T extends ReflectedObject = ReflectedObject> {
  readonly cache = new Map<string, T>();
  private readonly reflector: Reflector<T>;
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(client: RestClient, path: string, private readonly handlers: InformerHandlers<T>) {
    this.reflector = new Reflector<T>(client, path, {
      replace: (items) => this.replace(items),
      upsert: (obj) => {
        const k = keyOf(obj);
        const old = this.cache.get(k);
        this.cache.set(k, obj);
        this.handlers.onUpsert?.(obj, old);
      },
      remove: (obj) => {
        this.cache.delete(keyOf(obj));
        this.handlers.onDelete?.(obj);
      },
    });
  }

  start(): void {
    this.reflector.start();
  }

  stop(): void {
    void this.reflector.stop();
  }

  hasSynced(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((r) => this.syncWaiters.push(r));
  }

  private replace(items: T[]): void {
    const seen = new Set<string>();
    for (const item of items) {
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
  }
}
