/**
 * A patch helper in Cluster API's style. Snapshot an object, let the reconciler mutate it, then
 * `patch()` sends only what changed: one JSON merge patch for metadata (labels, annotations, finalizers,
 * ownerReferences) and spec (and any other top-level fields), and a separate merge patch to /status.
 * Conditions are merged by type onto the server's current list, guarded by resourceVersion, and on a
 * 409 the helper re-reads the object and merges again, so a concurrent writer's conditions survive.
 * Nothing is written when nothing changed.
 */
import type { Client } from './client.js';
import { sortConditions, type Condition } from './conditions.js';
import { isConflict } from './errors.js';
import type { KubeObject } from './types.js';

type Json = unknown;

const isPlainObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** RFC 7386 merge patch that turns `from` into `to` (arrays are replaced whole, removed keys become null). */
export function createMergePatch(from: Record<string, Json>, to: Record<string, Json>): Record<string, Json> {
  const patch: Record<string, Json> = {};
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined) continue;
    const old = from[k];
    if (deepEqual(old, v)) continue;
    if (isPlainObject(old) && isPlainObject(v)) {
      const sub = createMergePatch(old, v);
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else patch[k] = structuredClone(v);
  }
  for (const k of Object.keys(from)) {
    if (from[k] !== undefined && (!(k in to) || to[k] === undefined)) patch[k] = null;
  }
  return patch;
}

const META_FIELDS = ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const;

/** Everything a main-resource patch may change: chosen metadata, spec and other top-level fields. */
function mainPart(obj: KubeObject): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(obj)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) out[k] = v;
  const meta: Record<string, Json> = {};
  for (const f of META_FIELDS) meta[f] = obj.metadata[f];
  out.metadata = meta;
  return out;
}

function statusPart(obj: KubeObject): Record<string, Json> {
  const status = isPlainObject(obj.status) ? { ...obj.status } : {};
  delete status.conditions;
  return status;
}

const conditionsOf = (obj: KubeObject | undefined): Condition[] =>
  (isPlainObject(obj?.status) && Array.isArray(obj.status.conditions) ? obj.status.conditions : []) as Condition[];

interface ConditionChanges {
  set: Condition[];
  removed: string[];
}

function diffConditions(before: KubeObject, after: KubeObject): ConditionChanges {
  const b = new Map(conditionsOf(before).map((c) => [c.type, c]));
  const a = conditionsOf(after);
  const set = a.filter((c) => !deepEqual(b.get(c.type), c));
  const types = new Set(a.map((c) => c.type));
  const removed = [...b.keys()].filter((t) => !types.has(t));
  return { set, removed };
}

function applyConditionChanges(base: Condition[], ch: ConditionChanges): Condition[] {
  const out = base.filter((c) => !ch.removed.includes(c.type) && !ch.set.some((s) => s.type === c.type));
  return sortConditions([...out, ...ch.set]);
}

export interface PatchHelperOptions {
  /** false for kinds without a status subresource: status changes go into the main patch. */
  statusSubresource?: boolean;
  /** Attempts for the status write when conflicts keep happening. */
  maxConflictRetries?: number;
  /** status.observedGeneration follows the generation the spec write produced (when the object has one). */
  observedGeneration?: boolean;
}

export class PatchHelper<T extends KubeObject> {
  private before: T;

  constructor(
    private readonly client: Client,
    obj: T,
    private readonly opts: PatchHelperOptions = {},
  ) {
    if (!obj.metadata.name) throw new Error('patch helper: metadata.name is required');
    this.before = structuredClone(obj);
  }

  /** True when obj differs from the snapshot in anything patch() would send. */
  hasChanges(obj: T): boolean {
    return (
      Object.keys(createMergePatch(mainPart(this.before), mainPart(obj))).length > 0 ||
      Object.keys(createMergePatch(statusPart(this.before), statusPart(obj))).length > 0 ||
      !deepEqual(conditionsOf(this.before), conditionsOf(obj))
    );
  }

  /**
   * Sends the changes made to obj since the snapshot and returns the object as the server stored it
   * (or obj itself when nothing changed). The snapshot moves to the result, so the helper can be reused.
   */
  async patch(obj: T): Promise<T> {
    const ref = { apiVersion: obj.apiVersion ?? this.before.apiVersion, kind: obj.kind ?? this.before.kind, metadata: obj.metadata };
    const subresource = this.opts.statusSubresource ?? true;
    let latest: T | undefined;

    const main = createMergePatch(mainPart(this.before), mainPart(obj));
    if (subresource && Object.keys(main).length > 0) {
      latest = await this.client.patch<T>(ref, main);
      // The status describes the spec just written, as Cluster API's WithStatusObservedGeneration.
      if (this.opts.observedGeneration && isPlainObject(obj.status) && latest.metadata.generation !== undefined) obj.status.observedGeneration = latest.metadata.generation;
    }
    const status = createMergePatch(statusPart(this.before), statusPart(obj));
    const conds = diffConditions(this.before, obj);
    const condsChanged = conds.set.length > 0 || conds.removed.length > 0;

    if (!subresource && (Object.keys(status).length > 0 || condsChanged)) {
      // No /status: conditions go whole, with the snapshot's resourceVersion as a guard.
      main.status = { ...status, ...(condsChanged ? { conditions: applyConditionChanges(conditionsOf(this.before), conds) } : {}) };
      if (condsChanged) main.metadata = { ...(main.metadata as Record<string, Json> | undefined), resourceVersion: this.before.metadata.resourceVersion };
    }
    if (!subresource && Object.keys(main).length > 0) latest = await this.client.patch<T>(ref, main);

    if (subresource && (Object.keys(status).length > 0 || condsChanged)) {
      const attempts = this.opts.maxConflictRetries ?? 5;
      let base: KubeObject = latest ?? this.before;
      for (let i = 0; ; i++) {
        const body: Record<string, Json> = { status: { ...status } };
        if (condsChanged) {
          (body.status as Record<string, Json>).conditions = applyConditionChanges(conditionsOf(base), conds);
          body.metadata = { resourceVersion: base.metadata.resourceVersion };
        }
        try {
          latest = await this.client.patchStatus<T>(ref, body);
          break;
        } catch (err) {
          if (!isConflict(err) || i + 1 >= attempts) throw err;
          base = await this.client.get<T>({ apiVersion: ref.apiVersion!, kind: ref.kind! }, { namespace: obj.metadata.namespace, name: obj.metadata.name! });
        }
      }
    }
    if (!latest) return obj;
    this.before = structuredClone(latest);
    return latest;
  }
}
