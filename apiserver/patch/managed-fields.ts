/**
 * metadata.managedFields bookkeeping: parsing and writing ManagedFieldsEntry lists, and recording the Update
 * operation of ordinary writes (create, update, patch) the way kube-apiserver's field manager does.
 */
import type { JSONSchemaProps } from '../types.js';
import { isObject, type JsonObject } from './errors.js';
import { canonical, collect, fromFieldsV1, keyOf, toFieldsV1, valueAt, type CollectOptions, type FieldSet } from './fieldset.js';

export interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
}

export interface TrackOptions {
  /** The CRD's schema, for list types; built-in kinds track lists as atomic (except ObjectMeta's). */
  schema?: JSONSchemaProps;
  /** The subresource written (`status`), recorded on the entry and limiting tracking to that part. */
  subresource?: string;
  /** The resource has a status subresource: writes to the main resource do not own status fields. */
  hasStatusSubresource?: boolean;
}

export function collectOptions(o: TrackOptions): CollectOptions {
  if (o.subresource === 'status') return { onlyTop: new Set(['status']) };
  if (o.hasStatusSubresource) return { skipTop: new Set(['status']) };
  return {};
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function nowTime(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function readEntries(obj: JsonObject | undefined): ManagerEntry[] {
  const meta = obj?.metadata;
  const list = isObject(meta) ? meta.managedFields : undefined;
  if (!Array.isArray(list)) return [];
  const out: ManagerEntry[] = [];
  for (const e of list) {
    if (!isObject(e) || typeof e.manager !== 'string') continue;
    out.push({
      manager: e.manager,
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      time: typeof e.time === 'string' ? e.time : undefined,
      subresource: typeof e.subresource === 'string' && e.subresource ? e.subresource : undefined,
      set: fromFieldsV1(e.fieldsV1),
    });
  }
  return out;
}

export function writeEntries(obj: JsonObject, entries: ManagerEntry[]): void {
  if (!isObject(obj.metadata)) obj.metadata = {};
  const meta = obj.metadata as JsonObject;
  const kept = entries.filter((e) => e.set.size > 0);
  if (kept.length === 0) {
    delete meta.managedFields;
    return;
  }
  meta.managedFields = kept.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    ...(e.time ? { time: e.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(e.set),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
}

export function sameIdentity(e: ManagerEntry, manager: string, operation: string, subresource?: string): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');
}

/** kube-apiserver's default manager: the User-Agent up to the first `/` (`kubectl/v1.32.0 (linux/amd64) ...` → `kubectl`). */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const ua = (userAgent ?? '').trim();
  if (!ua) return 'unknown';
  const name = ua.split('/')[0].trim();
  return name.length > 128 ? name.slice(0, 128) : name || 'unknown';
}

/**
 * Records an Update by `manager` turning `old` (undefined on create) into `next`: the manager takes every field whose
 * value changed, other managers lose those fields, removed fields leave every set. Writes next.metadata.managedFields.
 */
export function recordUpdate(old: JsonObject | undefined, next: JsonObject, manager: string, apiVersion: string, options: TrackOptions = {}): void {
  const copts = collectOptions(options);
  const nextSet = collect(next, options.schema, copts);
  const entries = readEntries(old);
  const changed: FieldSet = new Map();
  for (const [k, t] of nextSet) {
    const before = old === undefined ? undefined : valueAt(old, t);
    if (before === undefined || canonical(before) !== canonical(valueAt(next, t))) changed.set(k, t);
  }
  let mine = entries.find((e) => sameIdentity(e, manager, 'Update', options.subresource));
  for (const e of entries) {
    if (e === mine) continue;
    for (const [k, t] of e.set) {
      if (changed.has(k)) e.set.delete(k);
      else if (!inScope(t, copts) || nextSet.has(k)) continue;
      else e.set.delete(k);
    }
  }
  if (changed.size > 0) {
    if (!mine) {
      mine = { manager, operation: 'Update', apiVersion, subresource: options.subresource, set: new Map() };
      entries.push(mine);
    }
    for (const [k, t] of changed) mine.set.set(k, t);
    mine.apiVersion = apiVersion;
    mine.time = nowTime();
  }
  if (mine) for (const k of [...mine.set.keys()]) if (!nextSet.has(k)) mine.set.delete(k);
  writeEntries(next, entries);
}

/** Whether a path belongs to the part of the object this write may change. */
function inScope(t: string[], o: CollectOptions): boolean {
  const top = t[0]?.slice(2);
  if (o.onlyTop) return o.onlyTop.has(top);
  if (o.skipTop) return !o.skipTop.has(top);
  return true;
}

export { keyOf };
