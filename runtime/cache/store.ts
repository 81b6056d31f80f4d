/** A thread-safe-by-construction (single event loop) indexed object store, as client-go's cache.Indexer. */
import type { KubeObject } from '../types.js';

export type IndexFunc = (obj: KubeObject) => string[];

export const NAMESPACE_INDEX = 'namespace';
export const OWNER_UID_INDEX = 'metadata.ownerReferences.uid';

export const objectKey = (obj: KubeObject): string =>
  obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');

export const defaultIndexers = (): Record<string, IndexFunc> => ({
  [NAMESPACE_INDEX]: (o) => [o.metadata.namespace ?? ''],
  [OWNER_UID_INDEX]: (o) => (o.metadata.ownerReferences ?? []).map((r) => r.uid),
});

export class Store {
  private readonly items = new Map<string, KubeObject>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private readonly indexers: Map<string, IndexFunc>;

  constructor(indexers: Record<string, IndexFunc> = defaultIndexers()) {
    this.indexers = new Map(Object.entries(indexers));
    for (const name of this.indexers.keys()) this.indices.set(name, new Map());
  }

  /** Adds an indexer; existing items are indexed right away. */
  addIndexer(name: string, fn: IndexFunc): void {
    if (this.indexers.has(name)) throw new Error(`indexer "${name}" already exists`);
    this.indexers.set(name, fn);
    this.indices.set(name, new Map());
    for (const [key, obj] of this.items) this.indexOne(name, fn, key, obj);
  }

  hasIndex(name: string): boolean {
    return this.indexers.has(name);
  }

  /** Stores obj and returns what it replaced. */
  upsert(obj: KubeObject): KubeObject | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) this.indexOne(name, fn, key, obj);
    return old;
  }

  remove(key: string): KubeObject | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  get(key: string): KubeObject | undefined {
    return this.items.get(key);
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  values(): IterableIterator<KubeObject> {
    return this.items.values();
  }

  byIndex(name: string, value: string): KubeObject[] {
    const idx = this.indices.get(name);
    if (!idx) throw new Error(`no index named "${name}"; register it with indexField() before the cache starts`);
    const keys = idx.get(value);
    if (!keys) return [];
    const out: KubeObject[] = [];
    for (const k of keys) out.push(this.items.get(k)!);
    return out;
  }

  get size(): number {
    return this.items.size;
  }

  private indexOne(name: string, fn: IndexFunc, key: string, obj: KubeObject): void {
    const idx = this.indices.get(name)!;
    for (const v of new Set(fn(obj))) {
      let set = idx.get(v);
      if (!set) idx.set(v, (set = new Set()));
      set.add(key);
    }
  }

  private unindex(key: string, obj: KubeObject): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      for (const v of new Set(fn(obj))) {
        const set = idx.get(v);
        if (!set) continue;
        set.delete(key);
        if (set.size === 0) idx.delete(v);
      }
    }
  }
}
