/**
 * Field sets as structured-merge-diff tracks them for managedFields: each path is a list of FieldsV1 tokens
 * (`f:spec`, `k:{"name":"a"}`, `v:"x"`, `i:0`), schema-aware for list types (atomic, set, map).
 */
import type { JSONSchemaProps } from '../types.js';
import { getOwn, hasOwn, setOwn } from '../../lib/safe-json.js';
import { isObject, type JsonObject } from './errors.js';

export type Tokens = string[];
/** Keyed by the tokens joined with NUL, which cannot occur in a token. */
export type FieldSet = Map<string, Tokens>;

/** Stable JSON with sorted object keys (FieldsV1 `k:` and `v:` tokens use it). */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as JsonObject;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(getOwn(o, k))}`).join(',')}}`;
}

export const keyOf = (t: Tokens): string => t.join('\u0000');

export function addPath(set: FieldSet, t: Tokens): void {
  set.set(keyOf(t), t);
}

/** Root fields and metadata fields the server owns: never part of any manager's set (kube's reset fields). */
const ROOT_SKIP = new Set(['apiVersion', 'kind']);
const META_SKIP = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'generateName']);

/** How metadata is typed for field tracking (ObjectMeta's list types). */
const META_SCHEMA: JSONSchemaProps = {
  type: 'object',
  properties: {
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
    ownerReferences: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['uid'], items: { type: 'object' } },
  },
};

export function childSchema(s: JSONSchemaProps | undefined, key: string, atRoot: boolean): JSONSchemaProps | undefined {
  if (atRoot && key === 'metadata') return META_SCHEMA;
  if (!s) return undefined;
  return getOwn<JSONSchemaProps>(s.properties, key) ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
}

export type ListType = { type: 'atomic' } | { type: 'set' } | { type: 'map'; keys: string[] };

export function listTypeOf(s: JSONSchemaProps | undefined): ListType {
  const t = s?.['x-kubernetes-list-type'];
  if (t === 'set') return { type: 'set' };
  if (t === 'map' && s?.['x-kubernetes-list-map-keys']?.length) return { type: 'map', keys: s['x-kubernetes-list-map-keys'] };
  return { type: 'atomic' };
}

export function itemKey(item: unknown, keys: string[]): JsonObject | undefined {
  if (!isObject(item)) return undefined;
  const k: JsonObject = {};
  for (const name of keys) if (hasOwn(item, name)) setOwn(k, name, getOwn(item, name));
  return k;
}

export interface CollectOptions {
  /** Top-level fields to leave out (e.g. `status` for the main resource when a status subresource exists). */
  skipTop?: Set<string>;
  /** Only these top-level fields (e.g. `status` for writes to /status). */
  onlyTop?: Set<string>;
}

/** The leaf paths of value (plus keyed list items themselves), as structured-merge-diff's Set. */
export function collect(value: unknown, schema: JSONSchemaProps | undefined, opts: CollectOptions = {}): FieldSet {
  const set: FieldSet = new Map();
  if (!isObject(value)) return set;
  for (const k of Object.keys(value)) {
    if (ROOT_SKIP.has(k) || opts.skipTop?.has(k) || (opts.onlyTop && !opts.onlyTop.has(k))) continue;
    if (k === 'metadata') {
      const meta = value.metadata;
      if (!isObject(meta)) continue;
      for (const mk of Object.keys(meta)) {
        if (META_SKIP.has(mk)) continue;
        walk(getOwn(meta, mk), childSchema(META_SCHEMA, mk, false), ['f:metadata', `f:${mk}`], set);
      }
      continue;
    }
    walk(getOwn(value, k), childSchema(schema, k, true), [`f:${k}`], set);
  }
  return set;
}

function walk(v: unknown, s: JSONSchemaProps | undefined, t: Tokens, set: FieldSet): void {
  if (Array.isArray(v)) {
    const lt = listTypeOf(s);
    if (lt.type === 'atomic' || v.length === 0) return addPath(set, t);
    for (const item of v) {
      if (lt.type === 'set') {
        addPath(set, [...t, `v:${canonical(item)}`]);
      } else {
        const key = itemKey(item, lt.keys);
        if (!key) continue;
        const it = [...t, `k:${canonical(key)}`];
        addPath(set, it);
        if (isObject(item)) for (const f of Object.keys(item)) walk(getOwn(item, f), childSchema(s?.items, f, false), [...it, `f:${f}`], set);
      }
    }
    return;
  }
  if (isObject(v) && s?.['x-kubernetes-map-type'] !== 'atomic') {
    const keys = Object.keys(v);
    if (keys.length === 0) return addPath(set, t);
    for (const k of keys) walk(getOwn(v, k), childSchema(s, k, false), [...t, `f:${k}`], set);
    return;
  }
  addPath(set, t);
}

/** A `k:` token's key object; undefined for a malformed one (managedFields may be written by anyone). */
function parseKey(rest: string): JsonObject | undefined {
  try {
    const v: unknown = JSON.parse(rest);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Navigates one token; `undefined` when absent. */
export function step(cur: unknown, token: string): unknown {
  const kind = token.slice(0, 2);
  const rest = token.slice(2);
  if (kind === 'f:') return isObject(cur) ? getOwn(cur, rest) : undefined;
  if (!Array.isArray(cur)) return undefined;
  if (kind === 'i:') return /^\d+$/.test(rest) ? cur[Number(rest)] : undefined;
  if (kind === 'v:') return cur.find((x) => canonical(x) === rest);
  if (kind === 'k:') {
    const key = parseKey(rest);
    if (!key) return undefined;
    const names = Object.keys(key);
    return cur.find((x) => isObject(x) && names.every((n) => canonical(getOwn(x, n)) === canonical(getOwn(key, n))));
  }
  return undefined;
}

export function valueAt(obj: unknown, t: Tokens): unknown {
  let cur = obj;
  for (const token of t) {
    cur = step(cur, token);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Removes the field, list item or set value at t (no-op when absent). */
export function removeAt(obj: unknown, t: Tokens): void {
  if (t.length === 0) return;
  const container = valueAt(obj, t.slice(0, -1));
  const last = t[t.length - 1];
  if (last.startsWith('f:')) {
    if (isObject(container) && hasOwn(container, last.slice(2))) delete container[last.slice(2)];
    return;
  }
  if (!Array.isArray(container)) return;
  const target = step(container, last);
  const idx = container.indexOf(target);
  if (target !== undefined && idx >= 0) container.splice(idx, 1);
}

/** kube's fieldpath.Path.String(): `.spec.containers[name="a"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(t: Tokens): string {
  return t.map((token) => {
    const rest = token.slice(2);
    switch (token.slice(0, 2)) {
      case 'f:': return `.${rest}`;
      case 'i:': return `[${rest}]`;
      case 'v:': return `[=${rest}]`;
      case 'k:': {
        const key = parseKey(rest);
        return key ? `[${Object.keys(key).sort().map((k) => `${k}=${JSON.stringify(getOwn(key, k))}`).join(',')}]` : `[${rest}]`;
      }
      default: return token;
    }
  }).join('');
}

/** FieldsV1 JSON → set. */
export function fromFieldsV1(node: unknown, prefix: Tokens = [], set: FieldSet = new Map()): FieldSet {
  if (!isObject(node)) return set;
  for (const [k, child] of Object.entries(node)) {
    if (k === '.') {
      addPath(set, prefix);
      continue;
    }
    const t = [...prefix, k];
    if (isObject(child) && Object.keys(child).length > 0) fromFieldsV1(child, t, set);
    else addPath(set, t);
  }
  return set;
}

/** Set → FieldsV1 JSON, with `.` marking a path that is itself a member and has members below it. */
export function toFieldsV1(set: FieldSet): JsonObject {
  interface Node { children: Map<string, Node>; member: boolean }
  const root: Node = { children: new Map(), member: false };
  for (const t of set.values()) {
    let n = root;
    for (const token of t) {
      let c = n.children.get(token);
      if (!c) {
        c = { children: new Map(), member: false };
        n.children.set(token, c);
      }
      n = c;
    }
    n.member = true;
  }
  const render = (n: Node): JsonObject => {
    const out: JsonObject = {};
    if (n.member && n.children.size > 0) out['.'] = {};
    for (const k of [...n.children.keys()].sort()) setOwn(out, k, render(n.children.get(k)!));
    return out;
  };
  return render(root);
}
