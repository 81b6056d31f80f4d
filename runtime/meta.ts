/** Finalizer and ownerReference helpers. Mutating helpers return whether they changed anything. */
import { groupOf, type KubeObject, type OwnerReference } from './types.js';

export const hasFinalizer = (obj: KubeObject, f: string): boolean => (obj.metadata.finalizers ?? []).includes(f);

export function addFinalizer(obj: KubeObject, f: string): boolean {
  if (hasFinalizer(obj, f)) return false;
  obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), f];
  return true;
}

export function removeFinalizer(obj: KubeObject, f: string): boolean {
  if (!hasFinalizer(obj, f)) return false;
  obj.metadata.finalizers = obj.metadata.finalizers!.filter((x) => x !== f);
  return true;
}

export const isDeleting = (obj: KubeObject): boolean => Boolean(obj.metadata.deletionTimestamp);

/** A reference to owner, as the controller of what points to it when `controller`. Throws when owner was never stored. */
export function ownerReference(owner: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, controller = false): OwnerReference {
  const { apiVersion, kind } = owner;
  const { name, uid } = owner.metadata;
  if (!apiVersion || !kind) throw new Error('owner: apiVersion and kind are required');
  if (!name || !uid) throw new Error(`owner ${kind}: metadata.name and metadata.uid are required (read it from the API first)`);
  return { apiVersion, kind, name, uid, ...(controller ? { controller: true, blockOwnerDeletion: true } : {}) };
}

const sameOwner = (a: OwnerReference, b: OwnerReference): boolean => a.kind === b.kind && groupOf(a.apiVersion) === groupOf(b.apiVersion) && a.name === b.name;

/** Adds or updates a (non-controller) owner reference to owner. */
export function setOwnerReference(obj: KubeObject, owner: KubeObject): boolean {
  const ref = ownerReference(owner, false);
  const refs = obj.metadata.ownerReferences ?? [];
  const i = refs.findIndex((r) => sameOwner(r, ref));
  if (i >= 0) {
    if (refs[i]!.uid === ref.uid && refs[i]!.apiVersion === ref.apiVersion) return false;
    refs[i] = { ...refs[i]!, apiVersion: ref.apiVersion, uid: ref.uid };
  } else refs.push(ref);
  obj.metadata.ownerReferences = refs;
  return true;
}

/** Makes owner the controller of obj; fails if another object already controls it. */
export function setControllerReference(obj: KubeObject, owner: KubeObject): boolean {
  const ref = ownerReference(owner, true);
  const current = getControllerOf(obj);
  if (current && !sameOwner(current, ref)) {
    throw new Error(`${obj.kind ?? 'object'} ${obj.metadata.name ?? ''} is already controlled by ${current.kind} ${current.name}`);
  }
  if (current && current.uid === ref.uid && current.blockOwnerDeletion) return false;
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => !sameOwner(r, ref));
  obj.metadata.ownerReferences = [...refs, ref];
  return true;
}

type WithOwners = { metadata: { ownerReferences?: OwnerReference[] } };

export const getControllerOf = (obj: WithOwners): OwnerReference | undefined => (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);

/** True when owner (an object, or its UID) is the controller of obj. */
export function isControlledBy(obj: WithOwners, owner: { metadata: { uid?: string } } | string | undefined): boolean {
  const uid = typeof owner === 'string' || owner === undefined ? owner : owner.metadata.uid;
  return !!uid && getControllerOf(obj)?.uid === uid;
}

/**
 * obj's owner references with `ref` added as a non-controller owner (as an adopted object gets), or undefined when
 * it is already an owner: an adopted object belongs to, and is garbage-collected with, its new owner.
 */
export function withOwnerReference(obj: WithOwners, ref: OwnerReference): OwnerReference[] | undefined {
  const refs = obj.metadata.ownerReferences ?? [];
  if (refs.some((r) => r.uid === ref.uid)) return undefined;
  return [...refs, { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid }];
}

export const isOwnedBy = (obj: KubeObject, owner: KubeObject): boolean => (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);

export function removeOwnerReference(obj: KubeObject, owner: KubeObject): boolean {
  const refs = obj.metadata.ownerReferences ?? [];
  const kept = refs.filter((r) => r.uid !== owner.metadata.uid);
  if (kept.length === refs.length) return false;
  obj.metadata.ownerReferences = kept;
  return true;
}
