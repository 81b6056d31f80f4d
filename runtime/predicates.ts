/**
 * Event filters, as controller-runtime's predicate package: which watch events may enqueue a reconcile. A watch's
 * predicates must all pass; anyOf lets an update through when one of several changes happened.
 */
import type { Predicate } from './controller.js';
import type { KubeObject } from './types.js';

/** Only updates that change metadata.generation (spec changes), as controller-runtime's GenerationChangedPredicate. */
export const generationChanged: Predicate = {
  update: (o, n) => o.metadata.generation !== n.metadata.generation,
};

/** Ignores re-deliveries of the same object version. */
export const resourceVersionChanged: Predicate = {
  update: (o, n) => o.metadata.resourceVersion !== n.metadata.resourceVersion,
};

/** Updates in which `read` gives another value (compared as JSON); creates and deletes pass. */
export function changed<T extends KubeObject>(read: (obj: T) => unknown): Predicate {
  return { update: (o, n) => JSON.stringify(read(o as T) ?? null) !== JSON.stringify(read(n as T) ?? null) };
}

/** Passes an event when any of the predicates does (an update predicate without `update` lets every update through). */
export function anyOf(...ps: Predicate[]): Predicate {
  return {
    create: (obj) => ps.some((p) => p.create?.(obj) ?? true),
    update: (o, n) => ps.some((p) => p.update?.(o, n) ?? true),
    delete: (obj) => ps.some((p) => p.delete?.(obj) ?? true),
  };
}
