/**
 * Server-side apply: merges the applied configuration into the live object per the schema's list types, detects
 * conflicts with other managers' fields, removes fields the applier stopped applying, and keeps managedFields.
 */
import yaml from 'js-yaml';
import type { JSONSchemaProps } from '../types.js';
import { checkDecoded, getOwn, hasOwn, setOwn } from '../../lib/safe-json.js';
import { PatchError, cloneJson, isObject, type JsonObject } from './errors.js';
import { canonical, childSchema, collect, itemKey, listTypeOf, pathString, removeAt, valueAt, type FieldSet } from './fieldset.js';
import { collectOptions, nowTime, readEntries, sameIdentity, writeEntries, type ManagerEntry, type TrackOptions } from './managed-fields.js';

export interface ApplyConflict {
  manager: string;
  /** kube's field path, e.g. `.spec.replicas`. */
  field: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  /** The cause message kube-apiserver uses: `conflict with "kubectl-client-side-apply" using clusterd.dev/v1alpha1`. */
  message?: string;
}

export interface ApplyResult {
  object: JsonObject;
  /** Non-empty when another manager owns a field the applied configuration changes and force is false. */
  conflicts: ApplyConflict[];
}

/** Parses an application/apply-patch+yaml body (YAML or JSON); a 400 PatchError when it is not one object. */
export function parseApplyPatch(body: string): JsonObject {
  let doc: unknown;
  try {
    doc = yaml.load(body, { schema: yaml.JSON_SCHEMA });
  } catch (e) {
    throw new PatchError(`error decoding YAML: ${(e as Error).message.split('\n')[0]}`, 400);
  }
  const problem = checkDecoded(doc, { maxBytes: 3 * 1024 * 1024 });
  if (problem) throw new PatchError(`error decoding YAML: ${problem.message}`, 400);
  if (doc !== null && typeof doc === 'object') doc = JSON.parse(JSON.stringify(doc)) as unknown;
  if (!isObject(doc)) throw new PatchError('error decoding YAML: the apply patch must be a single object', 400);
  return doc;
}

/** printManager in kube's field manager: Apply managers by name, Update managers with their apiVersion. */
export function describeManager(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === 'Update' ? `${s} using ${e.apiVersion}` : s;
}

function mergeApplied(live: unknown, applied: unknown, s: JSONSchemaProps | undefined, atRoot: boolean): unknown {
  if (isObject(applied)) {
    if (!isObject(live) || s?.['x-kubernetes-map-type'] === 'atomic') return cloneJson(applied);
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(applied)) setOwn(out, k, mergeApplied(getOwn(live, k), v, childSchema(s, k, atRoot), false));
    return out;
  }
  if (Array.isArray(applied)) {
    const lt = listTypeOf(s);
    if (lt.type === 'atomic' || !Array.isArray(live)) return cloneJson(applied);
    if (lt.type === 'set') {
      const seen = new Set(live.map(canonical));
      return [...live, ...applied.filter((x) => !seen.has(canonical(x)))];
    }
    const out = [...live];
    for (const item of applied) {
      const key = itemKey(item, lt.keys);
      const id = key ? canonical(key) : undefined;
      const idx = id === undefined ? -1 : out.findIndex((x) => canonical(itemKey(x, lt.keys)) === id);
      if (idx >= 0) out[idx] = mergeApplied(out[idx], item, s?.items, false);
      else out.push(cloneJson(item));
    }
    return out;
  }
  return applied;
}

/**
 * Server-side apply of `applied` by fieldManager onto live (undefined on create), maintaining metadata.managedFields.
 * `schema` (a CRD's) gives list types; without it lists are atomic except ObjectMeta's finalizers and ownerReferences.
 */
export function serverSideApply(
  live: JsonObject | undefined,
  applied: JsonObject,
  fieldManager: string,
  force: boolean,
  schema?: JSONSchemaProps,
  options: Omit<TrackOptions, 'schema'> = {},
): ApplyResult {
  if (!isObject(applied)) throw new PatchError('the apply patch must be an object', 400);
  if (!fieldManager) throw new PatchError('PATCH, application/apply-patch+yaml requests must have a fieldManager', 400);
  const appliedMeta = applied.metadata;
  if (isObject(appliedMeta) && appliedMeta.managedFields !== undefined && appliedMeta.managedFields !== null) {
    throw new PatchError('metadata.managedFields must be nil', 400);
  }
  const track: TrackOptions = { ...options, schema };
  const copts = collectOptions(track);
  const appliedSet = collect(applied, schema, copts);
  const apiVersion = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
  const entries = readEntries(live);
  if (live && entries.length === 0) {
    // Objects written before any manager was recorded: kube attributes their fields to "before-first-apply".
    const before = collect(live, schema, copts);
    if (before.size) entries.push({ manager: 'before-first-apply', operation: 'Update', apiVersion, set: before });
  }
  const mine = entries.find((e) => sameIdentity(e, fieldManager, 'Apply', options.subresource));
  const conflicts: ApplyConflict[] = [];
  const taken = new Map<ManagerEntry, string[]>();
  for (const e of entries) {
    if (e === mine) continue;
    for (const [k, t] of appliedSet) {
      if (!e.set.has(k)) continue;
      const liveValue = live ? valueAt(live, t) : undefined;
      const last = t[t.length - 1];
      const isItem = last.startsWith('k:') || last.startsWith('v:');
      if (isItem || (liveValue !== undefined && canonical(liveValue) === canonical(valueAt(applied, t)))) continue;
      conflicts.push({ manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, field: pathString(t),
        message: `conflict with ${describeManager(e)}` });
      const list = taken.get(e) ?? [];
      list.push(k);
      taken.set(e, list);
    }
  }
  if (conflicts.length && !force) return { object: live ?? applied, conflicts };
  for (const [e, keys] of taken) for (const k of keys) e.set.delete(k);

  const base: JsonObject = live ? cloneJson(live) : {};
  const result = mergeApplied(base, applied, schema, true) as JsonObject;
  if (mine) {
    // Fields this manager applied before but no longer applies go away unless someone else still owns them.
    const others: FieldSet = new Map();
    for (const e of entries) if (e !== mine) for (const [k, t] of e.set) others.set(k, t);
    const stale = [...mine.set].filter(([k]) => !appliedSet.has(k) && !others.has(k)).map(([, t]) => t);
    stale.sort((a, b) => b.length - a.length);
    for (const t of stale) removeAt(result, t);
  }
  const entry: ManagerEntry = mine ?? { manager: fieldManager, operation: 'Apply', apiVersion, subresource: options.subresource, set: new Map() };
  entry.set = appliedSet;
  entry.apiVersion = apiVersion;
  entry.time = nowTime();
  if (!mine) entries.push(entry);
  if (live && isObject(live.metadata) && isObject(result.metadata)) {
    // The live object's server-owned metadata wins over whatever the configuration says.
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'deletionTimestamp']) {
      if (hasOwn(live.metadata, k)) result.metadata[k] = live.metadata[k];
    }
  }
  writeEntries(result, entries);
  return { object: result, conflicts: force ? [] : conflicts };
}

/** The 409 Status kube-apiserver answers for apply conflicts (NewApplyConflict). */
export function conflictStatus(conflicts: ApplyConflict[]): Record<string, unknown> {
  const describe = (c: ApplyConflict): string =>
    c.message?.replace(/^conflict with /, '') ?? JSON.stringify(c.manager);
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describe(conflicts[0])}: ${conflicts[0].field}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(describe(c), [...(byManager.get(describe(c)) ?? []), c.field]);
    const lines: string[] = [];
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${m}:`);
      for (const f of byManager.get(m)!) lines.push(`- ${f}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Conflict',
    details: { causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describe(c)}`, field: c.field })) },
    code: 409,
  };
}
