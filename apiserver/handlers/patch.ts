/** PATCH: JSON patch, merge patch, strategic merge patch and server-side apply, retried on a racing write. */
import { checkDecoded, display, MAX_JSON_DEPTH } from '../../lib/safe-json.js';
import { MAX_BODY_BYTES, mediaType, parsePatchBody, PATCH_TYPES, readBody, type PatchKind } from '../http.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, conflictStatus, PatchError, serverSideApply, type JsonObject } from '../patch/index.js';
import { ApiError, badRequest, notFound, unsupportedMediaType, type StatusDetails } from '../status.js';
import type { KObject } from '../storage/index.js';
import { checkNamespace, checkTypeMeta } from './checks.js';
import { createObject } from './create.js';
import { sendWritten } from './response.js';
import { clone, fieldValidation, gvOf, isDryRun, keyOf, present, toStored, type ResourceRequest, type RestContext } from './scope.js';
import { updateObject, writeScale } from './update.js';

export async function patchResource(ctx: RestContext, r: ResourceRequest): Promise<void> {
  const ct = mediaType(r.req.headers['content-type']);
  const kind = PATCH_TYPES[ct];
  if (!kind) throw unsupportedMediaType(ct, Object.keys(PATCH_TYPES));
  if (kind === 'strategic' && r.info.custom) throw unsupportedMediaType(ct, Object.keys(PATCH_TYPES).filter((t) => !t.includes('strategic')));
  const patch = parsePatchBody(kind, await readBody(r.req));
  fieldValidation(r.query);
  const dryRun = isDryRun(r.query);
  const force = r.query.get('force') === 'true';
  const manager = r.query.get('fieldManager') ?? '';
  if (kind === 'apply' && !manager) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  if (kind !== 'apply' && r.query.has('force')) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  const warnings: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const old = await ctx.storage.get(keyOf(r.info, r.namespace, r.name!));
    try {
      if (r.subresource === 'scale') {
        if (!old) throw notFound(r.info.plural, r.info.group, r.name!);
        return await writeScale(ctx, r, (scale) => runPatch(kind, scale as JsonObject, patch, 'autoscaling/v1', 'Scale', manager, force, undefined), dryRun, old);
      }
      if (!old) {
        if (kind !== 'apply' || r.subresource) throw notFound(r.info.plural, r.info.group, r.name!, r.info.kind);
        const applied = runPatch(kind, undefined, patch, gvOf(r.info), r.info.kind, manager, force, r) as KObject;
        checkTypeMeta(r.info, applied);
        if (applied.metadata.name !== undefined && applied.metadata.name !== r.name) throw badRequest(`the name of the object (${display(applied.metadata.name)}) does not match the name on the URL (${r.name})`);
        applied.metadata.name = r.name;
        const created = await createObject(ctx, r, toStored(r.info, applied), dryRun, warnings, false);
        return sendWritten(r, 201, created, warnings);
      }
      const base = clone(present(r.info, old)) as JsonObject;
      const result = runPatch(kind, base, patch, gvOf(r.info), r.info.kind, manager, force, r) as KObject;
      if (!result || typeof result !== 'object' || Array.isArray(result)) throw badRequest('the patch produced something that is not an object');
      checkTypeMeta(r.info, result);
      const patched = toStored(r.info, result);
      if (patched.metadata.name !== r.name) throw badRequest(`the name of the object (${display(patched.metadata.name)}) does not match the name on the URL (${r.name})`);
      checkNamespace(r, patched);
      const rv = patched.metadata.resourceVersion;
      const explicitRV = rv !== undefined && rv !== old.metadata.resourceVersion;
      const { object } = await updateObject(ctx, r, patched, rv ? Number(rv) : undefined, dryRun, warnings, kind !== 'apply', explicitRV ? undefined : old);
      return sendWritten(r, 200, object, warnings);
    } catch (e) {
      // A write between our read and our compare-and-swap: patches without a resourceVersion are retried.
      if (e instanceof ApiError && e.reason === 'Conflict' && !e.message.includes('Apply failed') && attempt < 5) {
        const rvInPatch = (patch as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
        if (rvInPatch === undefined) continue;
      }
      throw e;
    }
  }
}

function runPatch(kind: PatchKind, doc: JsonObject | undefined, patch: unknown, apiVersion: string, k: string, manager: string, force: boolean, r: ResourceRequest | undefined): JsonObject {
  try {
    switch (kind) {
      case 'json': return checkPatched(applyJsonPatch(doc!, patch));
      case 'merge': return checkPatched(applyMergePatch(doc!, patch));
      case 'strategic': return checkPatched(applyStrategicMergePatch(doc!, patch, apiVersion, k));
      case 'apply': {
        const res = serverSideApply(doc, patch as JsonObject, manager, force, r?.info.schema, {
          subresource: r?.subresource === 'status' ? 'status' : undefined, hasStatusSubresource: !!r?.info.subresources.status,
        });
        if (res.conflicts.length) {
          const body = conflictStatus(res.conflicts) as { message: string; details?: StatusDetails };
          throw new ApiError(409, 'Conflict', body.message, body.details);
        }
        return checkPatched(res.object);
      }
    }
  } catch (e) {
    // Past the depth and size limits (a patch may nest its values below the stored object's): refused, not a 500.
    if (e instanceof RangeError) throw new ApiError(422, 'Invalid', `the patched object is invalid: exceeded max depth of ${MAX_JSON_DEPTH}`);
    if (e instanceof PatchError) {
      if (e.code === 413) throw new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: ${e.message}`);
      throw e.code === 409 ? new ApiError(409, 'Conflict', e.message) : e.code === 400 ? badRequest(e.message) : new ApiError(422, 'Invalid', e.message);
    }
    throw e;
  }
}

/** A patch can nest or grow an object past what a body may carry: the same limits hold for the result. */
function checkPatched(obj: JsonObject): JsonObject {
  const problem = checkDecoded(obj, { maxBytes: MAX_BODY_BYTES });
  if (problem?.kind === 'size') throw new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);
  if (problem) throw new ApiError(422, 'Invalid', `the patched object is invalid: ${problem.message}`);
  return obj;
}
