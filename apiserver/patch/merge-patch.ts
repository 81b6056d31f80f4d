/** RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces. */
import { getOwn, setOwn } from '../../lib/safe-json.js';
import { PatchError, cloneJson, isObject, type JsonObject } from './errors.js';

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return cloneJson(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, merge(getOwn(out, k), v));
  }
  return out;
}

export function applyMergePatch(doc: JsonObject, patch: unknown): JsonObject {
  if (!isObject(patch)) throw new PatchError('json: cannot unmarshal merge patch: the patch must be a JSON object', 400);
  // The result must not share structure with the stored object the caller passed in.
  return merge(cloneJson(doc), patch) as JsonObject;
}

/** Exposed for server-side apply and strategic merge, which share the object-merge step. */
export { merge as mergeValue };
