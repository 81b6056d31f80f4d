/**
 * The in-memory backend, also the index the SQLite backend keeps above its tables. Objects are indexed by
 * resource, then namespace, then name, so that a namespaced list touches only its namespace.
 */
import { StorageError, type KObject, type ObjectKey, type Storage, type StorageEvent } from './types.js';

type NameMap = Map<string, KObject>;

/** Durable backends hook their writes in here; each runs before the change becomes visible. */
export interface Persistence {
  put(key: ObjectKey, obj: KObject, rv: number): void;
  remove(key: ObjectKey, rv: number): void;
}

export class MemoryStorage implements Storage {
  private readonly data = new Map<string, Map<string, NameMap>>();
  private readonly listeners = new Set<(ev: StorageEvent) => void>();
  protected rv = 0;

  constructor(private readonly persistence?: Persistence) {}

  currentRV(): number {
    return this.rv;
  }

  /** Loads an object at its stored revision without persisting or notifying (startup of durable backends). */
  protected load(key: ObjectKey, obj: KObject): void {
    this.names(key, true).set(key.name, obj);
  }

  private names(key: ObjectKey, create: true): NameMap;
  private names(key: ObjectKey, create: false): NameMap | undefined;
  private names(key: ObjectKey, create: boolean): NameMap | undefined {
    let byNs = this.data.get(key.resource);
    if (!byNs) {
      if (!create) return undefined;
      byNs = new Map();
      this.data.set(key.resource, byNs);
    }
    let names = byNs.get(key.namespace);
    if (!names && create) {
      names = new Map();
      byNs.set(key.namespace, names);
    }
    return names;
  }

  getSync(key: ObjectKey): KObject | undefined {
    return this.names(key, false)?.get(key.name);
  }

  async get(key: ObjectKey): Promise<KObject | undefined> {
    return this.getSync(key);
  }

  listSync(resource: string, namespace?: string): KObject[] {
    const byNs = this.data.get(resource);
    if (!byNs) return [];
    const out: KObject[] = [];
    const namespaces = namespace === undefined ? [...byNs.keys()].sort() : [namespace];
    for (const ns of namespaces) {
      const names = byNs.get(ns);
      if (!names) continue;
      const sorted = [...names.keys()].sort();
      for (const n of sorted) out.push(names.get(n)!);
    }
    return out;
  }

  async list(resource: string, namespace?: string): Promise<{ items: KObject[]; rv: number }> {
    return { items: this.listSync(resource, namespace), rv: this.rv };
  }

  resources(): string[] {
    return [...this.data.entries()].filter(([, m]) => [...m.values()].some((n) => n.size > 0)).map(([r]) => r);
  }

  private stamp(obj: KObject, rv: number): KObject {
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
  }

  async create(key: ObjectKey, obj: KObject): Promise<KObject> {
    const names = this.names(key, true);
    if (names.has(key.name)) throw new StorageError('AlreadyExists', `${key.name} already exists`);
    const rv = this.rv + 1;
    const stored = this.stamp(obj, rv);
    this.persistence?.put(key, stored, rv);
    this.rv = rv;
    names.set(key.name, stored);
    this.emit({ type: 'ADDED', key, rv, object: stored });
    return stored;
  }

  /** The stored object a write replaces, checked against the revision the writer expects. */
  private current(key: ObjectKey, expectedRV: number | undefined): { names: Map<string, KObject>; prev: KObject } {
    const names = this.names(key, false);
    const prev = names?.get(key.name);
    if (!names || !prev) throw new StorageError('NotFound', `${key.name} not found`);
    if (expectedRV !== undefined && Number(prev.metadata.resourceVersion) !== expectedRV) {
      throw new StorageError('Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return { names, prev };
  }

  async update(key: ObjectKey, obj: KObject, expectedRV?: number): Promise<KObject> {
    const { names, prev } = this.current(key, expectedRV);
    const rv = this.rv + 1;
    const stored = this.stamp(obj, rv);
    this.persistence?.put(key, stored, rv);
    this.rv = rv;
    names.set(key.name, stored);
    this.emit({ type: 'MODIFIED', key, rv, object: stored, prev });
    return stored;
  }

  async delete(key: ObjectKey, expectedRV?: number): Promise<KObject> {
    const { names, prev } = this.current(key, expectedRV);
    const rv = this.rv + 1;
    this.persistence?.remove(key, rv);
    this.rv = rv;
    names.delete(key.name);
    const object = this.stamp(prev, rv);
    this.emit({ type: 'DELETED', key, rv, object, prev });
    return object;
  }

  subscribe(listener: (ev: StorageEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(ev: StorageEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch {
        // a listener's failure must not undo or block a committed write
      }
    }
  }

  close(): void {
    this.listeners.clear();
  }
}
