/**
 * The garbage collector and the namespace finalizer, run inside the API server (kube-controller-manager
 * runs them in a real cluster). Both follow the storage change feed, so they work for every server that
 * shares a store; concurrent collectors are harmless because every write is a compare-and-swap.
 */
import type { Logger } from '../lib/logging.js';
import { deleteObject, FOREGROUND, keyString, mutate, ORPHAN, parseKeyString, type PropagationPolicy } from './objects.js';
import { StorageError, type KObject, type ObjectKey, type OwnerReference, type Storage, type StorageEvent } from './storage/index.js';

const NAMESPACES = '/namespaces';

/** The object with only the owner references that pass; an empty list is dropped, as the API omits it. */
function keepOwners(o: KObject, keep: (r: OwnerReference) => boolean): KObject | undefined {
  const before = o.metadata.ownerReferences ?? [];
  const after = before.filter(keep);
  if (after.length === before.length) return undefined;
  return { ...o, metadata: { ...o.metadata, ownerReferences: after.length ? after : undefined } };
}

export class GarbageCollector {
  private readonly uidToKey = new Map<string, string>();
  private readonly dependents = new Map<string, Set<string>>();
  private readonly queue = new Set<string>();
  private readonly terminatingNamespaces = new Set<string>();
  private scheduled: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly resync: NodeJS.Timeout;

  constructor(private readonly storage: Storage, private readonly logger: Logger, allObjects: { key: ObjectKey; obj: KObject }[]) {
    for (const { key, obj } of allObjects) this.index(key, obj, undefined);
    for (const { key, obj } of allObjects) this.consider(key, obj);
    this.unsubscribe = storage.subscribe((ev) => this.onEvent(ev));
    // Namespaces whose content is blocked on finalizers are revisited now and then.
    this.resync = setInterval(() => {
      if (this.terminatingNamespaces.size) this.kick();
    }, 2000);
    this.resync.unref();
    this.kick();
  }

  hasDependents = (uid: string): boolean => (this.dependents.get(uid)?.size ?? 0) > 0;

  private index(key: ObjectKey, obj: KObject | undefined, prev: KObject | undefined): void {
    const ks = keyString(key);
    if (prev) {
      if (prev.metadata.uid) this.uidToKey.delete(prev.metadata.uid);
      for (const o of prev.metadata.ownerReferences ?? []) this.dependents.get(o.uid)?.delete(ks);
    }
    if (obj) {
      if (obj.metadata.uid) this.uidToKey.set(obj.metadata.uid, ks);
      for (const o of obj.metadata.ownerReferences ?? []) {
        let s = this.dependents.get(o.uid);
        if (!s) this.dependents.set(o.uid, (s = new Set()));
        s.add(ks);
      }
    }
  }

  private consider(key: ObjectKey, obj: KObject): void {
    const ks = keyString(key);
    const m = obj.metadata;
    if (m.deletionTimestamp && (m.finalizers?.includes(FOREGROUND) || m.finalizers?.includes(ORPHAN))) this.enqueue(ks);
    if (m.ownerReferences?.length && m.ownerReferences.some((o) => !this.ownerExists(o.uid))) this.enqueue(ks);
    if (key.resource === NAMESPACES && m.deletionTimestamp) {
      this.terminatingNamespaces.add(key.name);
      this.kick();
    }
  }

  private onEvent(ev: StorageEvent): void {
    if (ev.type === 'DELETED') {
      this.index(ev.key, undefined, ev.prev);
      const uid = ev.prev?.metadata.uid;
      if (uid) for (const d of this.dependents.get(uid) ?? []) this.enqueue(d);
      // A foreground-deleting owner may now be free to go.
      for (const o of ev.prev?.metadata.ownerReferences ?? []) {
        const ok = this.uidToKey.get(o.uid);
        if (ok) this.enqueue(ok);
      }
      if (ev.key.resource === NAMESPACES) this.terminatingNamespaces.delete(ev.key.name);
      else if (ev.key.namespace && this.terminatingNamespaces.has(ev.key.namespace)) this.kick();
      return;
    }
    this.index(ev.key, ev.object, ev.prev);
    this.consider(ev.key, ev.object);
  }

  private ownerExists(uid: string): boolean {
    return this.uidToKey.has(uid);
  }

  private enqueue(ks: string): void {
    this.queue.add(ks);
    this.kick();
  }

  private kick(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      void this.drain();
    }, 5);
  }

  private async drain(): Promise<void> {
    if (this.running) {
      this.kick();
      return;
    }
    this.running = true;
    try {
      while (this.queue.size && !this.closed) {
        const ks = this.queue.values().next().value as string;
        this.queue.delete(ks);
        await this.process(parseKeyString(ks)).catch((e: unknown) => this.logger.warn({ err: String(e), key: ks }, 'garbage collection failed; will retry'));
      }
      for (const ns of [...this.terminatingNamespaces]) await this.finalizeNamespace(ns).catch(() => undefined);
    } finally {
      this.running = false;
    }
  }

  private async deleteQuietly(key: ObjectKey, policy: PropagationPolicy): Promise<void> {
    try {
      await deleteObject(this.storage, key, { policy, hasDependents: this.hasDependents });
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
    }
  }

  private async process(key: ObjectKey): Promise<void> {
    const obj = await this.storage.get(key);
    if (!obj) return;
    const m = obj.metadata;
    const uid = m.uid ?? '';
    const deps = [...(this.dependents.get(uid) ?? [])].map(parseKeyString);
    if (m.deletionTimestamp && m.finalizers?.includes(ORPHAN)) {
      for (const d of deps) {
        await mutate(this.storage, d, (o) => keepOwners(o, (r) => r.uid !== uid));
      }
      await this.removeFinalizer(key, ORPHAN);
      return;
    }
    if (m.deletionTimestamp && m.finalizers?.includes(FOREGROUND)) {
      for (const d of deps) {
        const dep = await this.storage.get(d);
        if (dep && !dep.metadata.deletionTimestamp) await this.deleteQuietly(d, 'Foreground');
      }
      // The owner goes once no dependent that blocks its deletion is left.
      if ((await this.countBlocking(uid)) === 0) await this.removeFinalizer(key, FOREGROUND);
      return;
    }
    const owners = m.ownerReferences ?? [];
    if (!owners.length) return;
    const live = owners.filter((o) => this.ownerExists(o.uid));
    if (live.length === owners.length) return;
    if (live.length === 0) {
      await this.deleteQuietly(key, 'Background');
      return;
    }
    const ownersForeground = await Promise.all(live.map(async (o) => {
      const ok = this.uidToKey.get(o.uid);
      const owner = ok ? await this.storage.get(parseKeyString(ok)) : undefined;
      return !!owner?.metadata.deletionTimestamp && !!owner.metadata.finalizers?.includes(FOREGROUND);
    }));
    if (ownersForeground.every(Boolean)) {
      await this.deleteQuietly(key, 'Foreground');
      return;
    }
    const liveUids = new Set(live.map((o) => o.uid));
    await mutate(this.storage, key, (o) => keepOwners(o, (r) => liveUids.has(r.uid)));
  }

  private async countBlocking(uid: string): Promise<number> {
    let n = 0;
    for (const d of this.dependents.get(uid) ?? []) {
      const dep = await this.storage.get(parseKeyString(d));
      if (dep?.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion)) n++;
    }
    return n;
  }

  private async removeFinalizer(key: ObjectKey, f: string): Promise<void> {
    await mutate(this.storage, key, (o) => {
      if (!o.metadata.finalizers?.includes(f)) return undefined;
      const finalizers = o.metadata.finalizers.filter((x) => x !== f);
      return { ...o, metadata: { ...o.metadata, finalizers: finalizers.length ? finalizers : undefined } };
    });
  }

  /** Deletes everything in a terminating namespace; once it is empty, the namespace itself goes. */
  private async finalizeNamespace(ns: string): Promise<void> {
    const nsKey: ObjectKey = { resource: NAMESPACES, namespace: '', name: ns };
    const nsObj = await this.storage.get(nsKey);
    if (!nsObj?.metadata.deletionTimestamp) {
      this.terminatingNamespaces.delete(ns);
      return;
    }
    let remaining = 0;
    for (const resource of this.storage.resources()) {
      if (resource === NAMESPACES) continue;
      const { items } = await this.storage.list(resource, ns);
      for (const o of items) {
        remaining++;
        if (!o.metadata.deletionTimestamp) await this.deleteQuietly({ resource, namespace: ns, name: o.metadata.name! }, 'Background');
      }
    }
    if (remaining > 0) {
      // Objects without finalizers are gone now; look again to see whether the namespace is empty.
      remaining = 0;
      for (const resource of this.storage.resources()) if (resource !== NAMESPACES) remaining += (await this.storage.list(resource, ns)).items.length;
    }
    if (remaining > 0) return;
    await mutate(this.storage, nsKey, (o) => {
      const spec = (o.spec ?? {}) as { finalizers?: string[] };
      if (!spec.finalizers?.includes('kubernetes')) return undefined;
      return { ...o, spec: { ...spec, finalizers: spec.finalizers.filter((f) => f !== 'kubernetes') } };
    });
    const after = await this.storage.get(nsKey);
    if (after && !(after.metadata.finalizers ?? []).length && !((after.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length) {
      try {
        await this.storage.delete(nsKey, Number(after.metadata.resourceVersion));
      } catch (e) {
        if (!(e instanceof StorageError)) throw e;
      }
      this.terminatingNamespaces.delete(ns);
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.resync);
    if (this.scheduled) clearTimeout(this.scheduled);
  }
}
