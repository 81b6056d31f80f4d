/**
 * The manager's shared cache: one informer per kind, shared by every controller, and the reader that
 * reconcilers use (get, list by namespace, label selector or a named index). Reads return deep copies, so a
 * reconciler may mutate what it got without corrupting the cache, as with controller-runtime's cache.
 */
import type { Logger } from 'pino';
import type { Client } from '../client.js';
import { NotFoundError } from '../errors.js';
import { fromLabelSelector, matches, parseSelector, type LabelSelector, type Selector } from '../labels.js';
import { gvkKey, type GroupVersionKind, type KubeObject } from '../types.js';
import { Informer } from './informer.js';
import { NAMESPACE_INDEX, OWNER_UID_INDEX, type IndexFunc } from './store.js';

export { NAMESPACE_INDEX, OWNER_UID_INDEX };

export interface CacheListOptions {
  namespace?: string;
  /** A metav1.LabelSelector, or the string form `a=b,c in (x,y)`. */
  labelSelector?: LabelSelector | string;
  /** Only objects whose index `name` has `value` (e.g. OWNER_UID_INDEX and an owner's UID). */
  index?: { name: string; value: string };
}

export interface Reader {
  get<T extends KubeObject = KubeObject>(gvk: GroupVersionKind, key: { namespace?: string; name: string }): Promise<T>;
  list<T extends KubeObject = KubeObject>(gvk: GroupVersionKind, opts?: CacheListOptions): Promise<T[]>;
}

export interface CacheOptions {
  /** Restrict namespaced kinds to one namespace. */
  namespace?: string;
  logger: Logger;
}

export class InformerCache implements Reader {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(
    private readonly client: Client,
    private readonly opts: CacheOptions,
  ) {}

  /** The shared informer for a kind, created on first use (and started at once if the cache is running). */
  getInformer(gvk: GroupVersionKind): Informer {
    const key = gvkKey(gvk);
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(gvk, this.client, { namespace: this.opts.namespace, logger: this.opts.logger });
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf;
  }

  /** Adds a named index on a kind (controller-runtime's IndexField), e.g. `spec.clusterName`. */
  indexField(gvk: GroupVersionKind, name: string, fn: IndexFunc): void {
    this.getInformer(gvk).addIndexer(name, fn);
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  hasSynced(): boolean {
    for (const inf of this.informers.values()) if (!inf.hasSynced()) return false;
    return true;
  }

  /** Resolves true when every informer (including ones added meanwhile) has synced; false if aborted. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      const pending = [...this.informers.values()].filter((i) => !i.hasSynced());
      if (pending.length === 0) return true;
      const ok = await Promise.all(pending.map((i) => i.waitForSync(signal)));
      if (ok.includes(false)) return false;
    }
  }

  async get<T extends KubeObject = KubeObject>(gvk: GroupVersionKind, key: { namespace?: string; name: string }): Promise<T> {
    const inf = await this.synced(gvk);
    const obj = inf.store.get(key.namespace ? `${key.namespace}/${key.name}` : key.name);
    if (!obj) throw new NotFoundError(`${gvk.kind} ${key.namespace ? key.namespace + '/' : ''}${key.name} not found in cache`);
    return structuredClone(obj) as T;
  }

  async list<T extends KubeObject = KubeObject>(gvk: GroupVersionKind, opts: CacheListOptions = {}): Promise<T[]> {
    const inf = await this.synced(gvk);
    let objs: KubeObject[];
    if (opts.index) objs = inf.store.byIndex(opts.index.name, opts.index.value);
    else if (opts.namespace) objs = inf.store.byIndex(NAMESPACE_INDEX, opts.namespace);
    else objs = [...inf.store.values()];
    if (opts.index && opts.namespace) objs = objs.filter((o) => o.metadata.namespace === opts.namespace);
    if (opts.labelSelector !== undefined) {
      const sel: Selector = typeof opts.labelSelector === 'string' ? parseSelector(opts.labelSelector) : fromLabelSelector(opts.labelSelector);
      objs = objs.filter((o) => matches(sel, o.metadata.labels));
    }
    objs.sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    return objs.map((o) => structuredClone(o) as T);
  }

  private async synced(gvk: GroupVersionKind): Promise<Informer> {
    const inf = this.getInformer(gvk);
    if (!inf.hasSynced()) {
      if (!this.started) throw new Error(`cache for ${gvk.kind} is not started; read through the client or start the manager first`);
      await inf.waitForSync();
    }
    return inf;
  }
}
