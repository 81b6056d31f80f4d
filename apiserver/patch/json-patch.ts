/**
 * RFC 6902 JSON patch with evanphx/json-patch's error texts (what kube-apiserver reports): an undecodable patch is a
 * 400, an operation that cannot apply is a 422.
 */
import { display, getOwn, hasOwn, setOwn } from '../../lib/safe-json.js';
import { PatchError, cloneJson, isObject, type JsonObject } from './errors.js';

interface Op { op: string; path: string; value?: unknown; from?: string }

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${JSON.stringify(p)}`, 422);
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function decode(ops: unknown): Op[] {
  if (!Array.isArray(ops)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch', 400);
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw new PatchError(`json: cannot unmarshal ${typeof raw} into Go value of type jsonpatch.Operation (operation ${i})`, 400);
    if (typeof raw.op !== 'string') throw new PatchError(`Unexpected kind: ${display(raw.op)}`, 422);
    if (typeof raw.path !== 'string') throw new PatchError(`operation missing path: ${raw.op}`, 422);
    return raw as unknown as Op;
  });
}

type Container = JsonObject | unknown[];

/** The container holding the last pointer token, and that token. */
function parent(doc: unknown, tokens: string[], full: string): { c: Container; key: string } {
  let cur: unknown = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i];
    if (Array.isArray(cur)) {
      const idx = Number(t);
      if (!/^\d+$/.test(t) || idx >= cur.length) throw new PatchError(`doc is missing path: "${full}": missing value`);
      cur = cur[idx];
    } else if (isObject(cur)) {
      if (!hasOwn(cur, t)) throw new PatchError(`doc is missing path: "${full}": missing value`);
      cur = getOwn(cur, t);
    } else {
      throw new PatchError(`doc is missing path: "${full}": missing value`);
    }
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(`doc is missing path: "${full}": missing value`);
  return { c: cur, key: tokens[tokens.length - 1] };
}

function arrayIndex(arr: unknown[], key: string, full: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^\d+$/.test(key)) throw new PatchError(`Unable to access invalid index: ${key}: invalid index referenced`);
  const idx = Number(key);
  if (idx > arr.length || (!forAdd && idx === arr.length)) throw new PatchError(`Unable to access invalid index: ${idx}: invalid index referenced (${full})`);
  return idx;
}

function get(doc: unknown, path: string, op: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const { c, key } = parent(doc, tokens, path);
  if (Array.isArray(c)) return c[arrayIndex(c, key, path, false)];
  if (!hasOwn(c, key)) throw new PatchError(`${op} operation does not apply: doc is missing path: ${path}: missing value`);
  return getOwn(c, key);
}

function remove(doc: unknown, path: string, op: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new PatchError(`${op} operation does not apply: cannot remove the document root`);
  const { c, key } = parent(doc, tokens, path);
  if (Array.isArray(c)) return c.splice(arrayIndex(c, key, path, false), 1)[0];
  if (!hasOwn(c, key)) throw new PatchError(`${op} operation does not apply: doc is missing key: ${path}: missing value`);
  const v = getOwn(c, key);
  delete c[key];
  return v;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { c, key } = parent(doc, tokens, path);
  if (Array.isArray(c)) c.splice(arrayIndex(c, key, path, true), 0, value);
  else setOwn(c, key, value);
  return doc;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ak = Object.keys(a);
  const bo = b as JsonObject;
  return ak.length === Object.keys(bo).length && ak.every((k) => hasOwn(bo, k) && equal(getOwn(a, k), getOwn(bo, k)));
}

/** kube-apiserver's bounds: operations per patch, and bytes that `copy` may add (JSONPatchMaxCopyBytes, 3 MiB). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;
const MAX_COPY_BYTES = 3 * 1024 * 1024;

export function applyJsonPatch(doc: JsonObject, ops: unknown): JsonObject {
  const list = decode(ops);
  if (list.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${list.length}`, 413);
  }
  let copied = 0;
  let out: unknown = cloneJson(doc);
  for (const o of list) {
    switch (o.op) {
      case 'add':
        if (!hasOwn(o, 'value')) throw new PatchError('add operation missing value');
        out = add(out, o.path, cloneJson(o.value));
        break;
      case 'remove':
        remove(out, o.path, 'remove');
        break;
      case 'replace': {
        if (!hasOwn(o, 'value')) throw new PatchError('replace operation missing value');
        const tokens = parsePointer(o.path);
        if (tokens.length === 0) {
          out = cloneJson(o.value);
          break;
        }
        const { c, key } = parent(out, tokens, o.path);
        if (Array.isArray(c)) c[arrayIndex(c, key, o.path, false)] = cloneJson(o.value);
        else if (!hasOwn(c, key)) throw new PatchError(`replace operation does not apply: doc is missing key: ${o.path}: missing value`);
        else setOwn(c, key, cloneJson(o.value));
        break;
      }
      case 'move': {
        if (typeof o.from !== 'string') throw new PatchError('move operation missing from');
        const v = remove(out, o.from, 'move');
        out = add(out, o.path, v);
        break;
      }
      case 'copy': {
        if (typeof o.from !== 'string') throw new PatchError('copy operation missing from');
        const v = get(out, o.from, 'copy');
        // Repeated copies double a document each time: kube bounds what they may add in total.
        copied += (JSON.stringify(v) ?? '').length;
        if (copied > MAX_COPY_BYTES) {
          throw new PatchError(`Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${MAX_COPY_BYTES}`);
        }
        out = add(out, o.path, cloneJson(v));
        break;
      }
      case 'test': {
        let actual: unknown;
        try {
          actual = get(out, o.path, 'test');
        } catch {
          actual = undefined;
        }
        if (!equal(actual, o.value ?? null)) throw new PatchError(`testing value ${o.path} failed: test failed`);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${o.op}`);
    }
  }
  if (!isObject(out)) throw new PatchError('the patched object is not a JSON object', 422);
  return out;
}
