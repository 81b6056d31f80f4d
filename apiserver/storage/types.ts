/**
 * The storage contract of the API server: a versioned key/value store of Kubernetes objects with one global,
 * monotonic resourceVersion and a change feed. It is deliberately etcd-shaped (revisions, compare-and-swap on
 * revision, a watchable event stream) so that an etcd backend can implement it later; the memory and SQLite
 * backends here keep every object in memory and SQLite adds durability underneath.
 */
import type { ObjectMeta } from '../../lib/kube.js';

/** A stored Kubernetes object. Stored objects are shared and must be treated as immutable. */
export type KObject = Record<string, unknown> & { metadata: ObjectMeta };

export type { ObjectMeta, OwnerReference } from '../../lib/kube.js';

/** Where an object lives: `resource` is `<group>/<plural>` (`/namespaces` for the core group). */
export interface ObjectKey {
  resource: string;
  namespace: string; // '' for cluster-scoped objects
  name: string;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StorageEvent {
  type: EventType;
  key: ObjectKey;
  rv: number;
  /** The object after the change; for DELETED, the last state with resourceVersion set to the deletion's revision. */
  object: KObject;
  /** The state before the change (MODIFIED and DELETED). */
  prev?: KObject;
}

export class StorageError extends Error {
  constructor(readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict', message: string) {
    super(message);
  }
}

export interface Storage {
  /** The revision of the latest write (0 for an empty store). */
  currentRV(): number;
  get(key: ObjectKey): Promise<KObject | undefined>;
  /** Objects of a resource, optionally in one namespace, in (namespace, name) order, and the revision they reflect. */
  list(resource: string, namespace?: string): Promise<{ items: KObject[]; rv: number }>;
  /** Stores a new object; fails with AlreadyExists. The stored copy carries its new resourceVersion. */
  create(key: ObjectKey, obj: KObject): Promise<KObject>;
  /** Replaces an object; with expectedRV, fails with Conflict unless it is still the stored revision. */
  update(key: ObjectKey, obj: KObject, expectedRV?: number): Promise<KObject>;
  /** Removes an object; with expectedRV, fails with Conflict unless it is still the stored revision. */
  delete(key: ObjectKey, expectedRV?: number): Promise<KObject>;
  /** Every change, in revision order, delivered synchronously after it is durable. Returns an unsubscribe. */
  subscribe(listener: (ev: StorageEvent) => void): () => void;
  /** Resources (`<group>/<plural>`) that hold at least one object. */
  resources(): string[];
  close(): void;
}
