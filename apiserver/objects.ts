/**
 * Deletion semantics shared by the REST layer and the in-process controllers: finalizers and
 * deletionTimestamp, and the propagation-policy finalizers the garbage collector acts on.
 */
import { StorageError, type KObject, type ObjectKey, type Storage } from './storage/index.js';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';
export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

export const keyString = (k: ObjectKey): string => `${k.resource}|${k.namespace}|${k.name}`;
export function parseKeyString(s: string): ObjectKey {
  const [resource, namespace, name] = s.split('|') as [string, string, string];
  return { resource, namespace, name };
}

export interface DeleteOutcome {
  object: KObject;
  /** False when the object only got a deletionTimestamp and waits for finalizers. */
  deleted: boolean;
}

export interface DeleteOptions {
  policy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Whether the object has dependents; without any, Foreground and Orphan need no finalizer round trip. */
  hasDependents?: (uid: string) => boolean;
}

/** Deletes key, or marks it for deletion when finalizers must run first. Throws StorageError(NotFound/Conflict). */
export async function deleteObject(storage: Storage, key: ObjectKey, opts: DeleteOptions = {}): Promise<DeleteOutcome> {
  for (let attempt = 0; ; attempt++) {
    const cur = await storage.get(key);
    if (!cur) throw new StorageError('NotFound', `${key.name} not found`);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== cur.metadata.uid) {
      throw new StorageError('Conflict', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid ?? ''}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw new StorageError('Conflict', `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion ?? ''}`);
    }
    const finalizers = [...(cur.metadata.finalizers ?? [])];
    const needsGc = opts.policy && opts.policy !== 'Background' && (opts.hasDependents?.(cur.metadata.uid ?? '') ?? true);
    if (needsGc) {
      const f = opts.policy === 'Foreground' ? FOREGROUND : ORPHAN;
      const other = f === FOREGROUND ? ORPHAN : FOREGROUND;
      const i = finalizers.indexOf(other);
      if (i >= 0) finalizers.splice(i, 1);
      if (!finalizers.includes(f)) finalizers.push(f);
    }
    const rv = Number(cur.metadata.resourceVersion);
    try {
      if (finalizers.length === 0) return { object: await storage.delete(key, rv), deleted: true };
      const meta = cur.metadata;
      if (meta.deletionTimestamp && sameList(meta.finalizers, finalizers)) return { object: cur, deleted: false };
      const marked: KObject = {
        ...cur,
        metadata: { ...meta, finalizers, deletionTimestamp: meta.deletionTimestamp ?? nowRfc3339(), deletionGracePeriodSeconds: meta.deletionGracePeriodSeconds ?? 0 },
      };
      return { object: await storage.update(key, marked, rv), deleted: false };
    } catch (e) {
      // A concurrent writer got in between; the preconditions were checked against the state we read, so retry.
      if (e instanceof StorageError && e.reason === 'Conflict' && attempt < 5) continue;
      throw e;
    }
  }
}

function sameList(a: string[] | undefined, b: string[]): boolean {
  return (a ?? []).length === b.length && b.every((x, i) => a![i] === x);
}

/**
 * Stores an update of an object; once an object that is being deleted has no finalizers left, the update
 * removes it instead, as kube-apiserver does.
 */
export async function storeUpdate(storage: Storage, key: ObjectKey, obj: KObject, expectedRV?: number): Promise<{ object: KObject; deleted: boolean }> {
  if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0) {
    const gone = await storage.delete(key, expectedRV);
    return { object: { ...obj, metadata: { ...obj.metadata, resourceVersion: gone.metadata.resourceVersion } }, deleted: true };
  }
  return { object: await storage.update(key, obj, expectedRV), deleted: false };
}

/** Read-modify-write with retries on conflicts; fn returns undefined to leave the object alone. */
export async function mutate(storage: Storage, key: ObjectKey, fn: (o: KObject) => KObject | undefined): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const cur = await storage.get(key);
    if (!cur) return;
    const next = fn(cur);
    if (!next) return;
    try {
      await storeUpdate(storage, key, next, Number(cur.metadata.resourceVersion));
      return;
    } catch (e) {
      if (e instanceof StorageError && e.reason === 'Conflict') continue;
      if (e instanceof StorageError && e.reason === 'NotFound') return;
      throw e;
    }
  }
}

/** RFC 3339 at second precision, the format of metav1.Time. */
export function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
