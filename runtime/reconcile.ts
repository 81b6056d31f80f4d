/**
 * The parts every reconciler is built from, as controller-runtime's reconcile package and Cluster API's
 * controllers share them: what a reconciler is constructed with, and how the results of its phases combine.
 */
import type { Reader } from './cache/cache.js';
import type { Client } from './client.js';
import { addFinalizer, hasFinalizer } from './meta.js';
import { createMergePatch, PatchHelper, type PatchHelperOptions } from './patch.js';
import type { EventRecorder } from './recorder.js';
import type { GroupVersionKind, KubeObject, ReconcileContext, Reconciler, Request, Result } from './types.js';

/** What every reconciler is constructed with (first argument; its own options come second). */
export interface ReconcilerEnv {
  /** Writes, and reads that must not lag (a claim, a final re-read). */
  client: Client;
  /** The manager's informer cache: where reconcilers read what they reconcile. */
  cache: Reader;
  recorder: EventRecorder;
}

/**
 * What a phase of a reconcile returns: nothing when it is done and the next may run; a requeue when it wants
 * another look later; `stop` when the phases after it must wait (their input is not there yet).
 */
export interface PhaseResult extends Result {
  stop?: boolean;
}

/** One phase of a reconcile, over the reconciler's scope (the object and what earlier phases found out). */
export type Phase<S> = (scope: S) => Promise<PhaseResult | void> | PhaseResult | void;

/** The result that wakes the controller soonest: the lowest non-zero requeueAfter, a rate-limited requeue otherwise. */
export function lowestRequeue(a: Result, b: Result): Result {
  const after = [a.requeueAfter, b.requeueAfter].filter((x): x is number => x !== undefined && x > 0);
  const out: Result = {};
  if (after.length > 0) out.requeueAfter = Math.min(...after);
  if (a.requeue || b.requeue) out.requeue = true;
  return out;
}

export interface PhasesOutcome extends Result {
  /** Every phase ran to its end (none stopped). */
  completed: boolean;
}

/**
 * Runs the phases in order, as Cluster API's doReconcile does: their results combine (the lowest requeue wins),
 * and a phase that stops ends the list there. A phase that throws ends the reconcile with its error.
 */
export async function runPhases<S>(scope: S, phases: readonly Phase<S>[]): Promise<PhasesOutcome> {
  let result: Result = {};
  for (const phase of phases) {
    const r = (await phase(scope)) ?? {};
    result = lowestRequeue(result, r);
    if (r.stop) return { ...result, completed: false };
  }
  return { ...result, completed: true };
}

/** A Result as the controller takes it (no `completed`, no `stop`). */
export function toResult(r: Result): Result {
  return { ...(r.requeueAfter !== undefined && r.requeueAfter > 0 ? { requeueAfter: r.requeueAfter } : {}), ...(r.requeue ? { requeue: true } : {}) };
}

/**
 * The one write of a reconcile, deferred as Cluster API's controllers defer their patch helper: fn changes obj in
 * memory (metadata, spec, status, conditions), and whatever it changed is written when it returns, or throws (then
 * its error wins). Nothing is written when nothing changed.
 */
export async function patchAfter<T extends KubeObject, R>(client: Client, obj: T, fn: (obj: T) => Promise<R>, opts?: PatchHelperOptions): Promise<R> {
  const helper = new PatchHelper(client, obj, opts);
  let out: R;
  try {
    out = await fn(obj);
  } catch (err) {
    await helper.patch(obj).catch(() => undefined);
    throw err;
  }
  await helper.patch(obj);
  return out;
}

/**
 * Makes sure obj carries the finalizer (and whatever else `also` puts in its metadata) before anything is created
 * for it, in one metadata write guarded by resourceVersion. Returns the stored object, or obj when nothing changed.
 */
export async function ensureFinalizer<T extends KubeObject>(client: Client, obj: T, finalizer: string, also?: (meta: T['metadata']) => boolean): Promise<T> {
  const next = structuredClone(obj.metadata);
  const added = addFinalizer({ metadata: next }, finalizer);
  const more = also?.(next) ?? false;
  if (!added && !more) return obj;
  const patch = createMergePatch({ labels: obj.metadata.labels, annotations: obj.metadata.annotations, finalizers: obj.metadata.finalizers },
    { labels: next.labels, annotations: next.annotations, finalizers: next.finalizers });
  return client.patch<T>(obj, { metadata: { ...patch, resourceVersion: obj.metadata.resourceVersion } });
}

/** Removes the finalizer once the object's external resources are gone: from a live read, guarded by resourceVersion. */
export async function releaseFinalizer(client: Client, gvk: GroupVersionKind, obj: KubeObject, finalizer: string): Promise<void> {
  const fresh = await client.get(gvk, { namespace: obj.metadata.namespace, name: obj.metadata.name! });
  if (!hasFinalizer(fresh, finalizer)) return;
  await client.patch(fresh, { metadata: { resourceVersion: fresh.metadata.resourceVersion, finalizers: (fresh.metadata.finalizers ?? []).filter((f) => f !== finalizer) } });
}

/** Options every reconciler takes. */
export interface ReconcilerOptions {
  /** The clock (ms since the epoch), for availability and deadlines; tests may pass their own. */
  now?: () => number;
}

/** The base of the controllers' reconcilers: one constructor shape, `new XReconciler(env, deps)`. */
export abstract class EnvReconciler implements Reconciler {
  protected readonly client: Client;
  protected readonly cache: Reader;
  protected readonly recorder: EventRecorder;
  /** The clock (ms since the epoch); tests may pass their own. */
  protected readonly now: () => number;

  constructor(protected readonly env: ReconcilerEnv, opts: ReconcilerOptions = {}) {
    this.client = env.client;
    this.cache = env.cache;
    this.recorder = env.recorder;
    this.now = opts.now ?? Date.now;
  }

  abstract reconcile(req: Request, ctx: ReconcileContext): Promise<Result>;
}
