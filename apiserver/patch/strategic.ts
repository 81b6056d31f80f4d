/**
 * Strategic merge patch for the built-in kinds (what kubectl apply/label/annotate/patch send), with the
 * $patch, $retainKeys, $deleteFromPrimitiveList and $setElementOrder directives.
 */
import { display, getOwn, hasOwn, setOwn } from '../../lib/safe-json.js';
import { PatchError, cloneJson, isObject, type JsonObject } from './errors.js';
import { listStrategy, type ListStrategy } from './strategic-meta.js';

const DELETE_FROM = '$deleteFromPrimitiveList/';
const SET_ORDER = '$setElementOrder/';

interface Ctx { apiVersion: string; kind: string }

function mergeMap(orig: JsonObject | undefined, patch: JsonObject, path: string[], ctx: Ctx): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(patch)) if (!k.startsWith('$')) setOwn(out, k, stripDirectives(v));
    return out;
  }
  if (directive !== undefined && directive !== 'merge') throw new PatchError(`Unknown patch type: ${display(directive)}`, 422);
  const out: JsonObject = orig ? { ...orig } : {};
  const retain = patch.$retainKeys;
  if (retain !== undefined) {
    if (!Array.isArray(retain) || retain.some((k) => typeof k !== 'string')) throw new PatchError('$retainKeys must be a list of strings', 422);
    const keep = new Set(retain as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  const orders: [string, unknown][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith(SET_ORDER)) {
      orders.push([k.slice(SET_ORDER.length), v]);
      continue;
    }
    if (k.startsWith(DELETE_FROM)) {
      const field = k.slice(DELETE_FROM.length);
      const cur = getOwn(out, field);
      if (Array.isArray(cur) && Array.isArray(v)) {
        const drop = new Set(v.map((x) => JSON.stringify(x)));
        setOwn(out, field, cur.filter((x) => !drop.has(JSON.stringify(x))));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const childPath = [...path, k];
    const cur = getOwn(out, k);
    if (isObject(v)) {
      const merged = mergeMap(isObject(cur) ? cur : undefined, v, childPath, ctx);
      if (merged === undefined) delete out[k];
      else setOwn(out, k, merged);
    } else if (Array.isArray(v)) {
      setOwn(out, k, mergeList(Array.isArray(cur) ? cur : [], v, listStrategy(ctx.apiVersion, ctx.kind, childPath), childPath, ctx));
    } else {
      setOwn(out, k, v);
    }
  }
  for (const [field, order] of orders) {
    const list = getOwn(out, field);
    if (Array.isArray(list) && Array.isArray(order)) {
      setOwn(out, field, applyOrder(list, order, listStrategy(ctx.apiVersion, ctx.kind, [...path, field])));
    }
  }
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(isObject(x) && x.$patch !== undefined && Object.keys(x).length === 1)).map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) setOwn(out, k, stripDirectives(x));
  return out;
}

function mergeList(orig: unknown[], patch: unknown[], strategy: ListStrategy | undefined, path: string[], ctx: Ctx): unknown[] {
  const replace = patch.some((x) => isObject(x) && x.$patch === 'replace');
  if (!strategy || replace) return patch.filter((x) => !(isObject(x) && x.$patch === 'replace')).map(stripDirectives);
  if (strategy.key === undefined) {
    // A set of scalars: union, original order first.
    const seen = new Set(orig.map((x) => JSON.stringify(x)));
    const out = [...orig];
    for (const x of patch) {
      const id = JSON.stringify(x);
      if (!seen.has(id)) {
        seen.add(id);
        out.push(x);
      }
    }
    return out;
  }
  const key = strategy.key;
  const out = [...orig];
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`strategic merge patch: list ${path.join('.')} needs objects with the merge key "${key}"`, 422);
    if (!hasOwn(item, key)) throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`, 422);
    const idx = out.findIndex((o) => isObject(o) && JSON.stringify(getOwn(o, key)) === JSON.stringify(getOwn(item, key)));
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    const merged = mergeMap(idx >= 0 ? (out[idx] as JsonObject) : undefined, item, path, ctx);
    if (merged === undefined) {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) {
      out[idx] = merged;
    } else {
      out.push(merged);
    }
  }
  return out;
}

/** $setElementOrder: listed elements first in the given order, the rest after in their current order. */
function applyOrder(list: unknown[], order: unknown[], strategy: ListStrategy | undefined): unknown[] {
  const key = strategy?.key;
  const id = (x: unknown): string => JSON.stringify(key !== undefined && isObject(x) ? getOwn(x, key) : x);
  const rank = new Map(order.map((o, i) => [id(o), i] as const));
  const ranked = list.filter((x) => rank.has(id(x))).sort((a, b) => (rank.get(id(a)) ?? 0) - (rank.get(id(b)) ?? 0));
  return [...ranked, ...list.filter((x) => !rank.has(id(x)))];
}

/** Strategic merge patch for a built-in kind (by apiVersion and kind); patch directives ($patch, $retainKeys, ...). */
export function applyStrategicMergePatch(doc: JsonObject, patch: unknown, apiVersion: string, kind: string): JsonObject {
  if (!isObject(patch)) throw new PatchError('json: cannot unmarshal strategic merge patch: the patch must be a JSON object', 400);
  const out = mergeMap(cloneJson(doc), patch, [], { apiVersion, kind });
  if (out === undefined) throw new PatchError('the patch deletes the whole object', 422);
  return out;
}
