/** PUT of an object or of its status, approval, finalize or scale subresource; the shared tail of PUT and PATCH. */
import { display } from '../../lib/safe-json.js';
import { parseObjectBody, readBody, sendJson, withinDecodeLimits } from '../http.js';
import { storeUpdate } from '../objects.js';
import { storageKeyOf } from '../registry.js';
import { badRequest, conflict, invalid, notFound } from '../status.js';
import type { KObject } from '../storage/index.js';
import { prepareUpdate, specChanged, stableJson, statusUpdate, tracksGeneration } from '../strategy.js';
import { admit, checkNamespace, checkTypeMeta, typeCheck, validateObject } from './checks.js';
import { sendWritten } from './response.js';
import { scalePaths, setPath, toScale } from './scale.js';
import { clone, fieldValidation, fromStorageError, isDryRun, keyOf, mustGet, present, toStored, track, type ResourceRequest, type RestContext } from './scope.js';

export async function updateResource(ctx: RestContext, r: ResourceRequest): Promise<void> {
  const body = withinDecodeLimits(parseObjectBody(r.req.headers['content-type'], await readBody(r.req)));
  fieldValidation(r.query);
  const dryRun = isDryRun(r.query);
  if (r.subresource === 'scale') return writeScale(ctx, r, () => body, dryRun);
  checkTypeMeta(r.info, body);
  const obj = toStored(r.info, body as KObject);
  if (obj.metadata.name !== undefined && obj.metadata.name !== r.name) {
    throw badRequest(`the name of the object (${display(obj.metadata.name)}) does not match the name on the URL (${r.name})`);
  }
  obj.metadata.name = r.name;
  checkNamespace(r, obj);
  const rv = obj.metadata.resourceVersion;
  if (rv !== undefined && rv !== '' && !/^\d+$/.test(String(rv))) {
    throw invalid(r.info.kind, r.info.group, r.name!, [{ type: 'FieldValueInvalid', field: 'metadata.resourceVersion', badValue: rv, detail: 'must be a decimal revision' }]);
  }
  const warnings: string[] = [];
  const { object, code } = await updateObject(ctx, r, obj, rv ? Number(rv) : undefined, dryRun, warnings, true);
  sendWritten(r, code, object, warnings);
}

/** The shared tail of PUT and PATCH: carry server-owned fields, validate, store with compare-and-swap. */
export async function updateObject(ctx: RestContext, r: ResourceRequest, obj: KObject, expectedRV: number | undefined, dryRun: boolean, warnings: string[], trackFields: boolean, old?: KObject): Promise<{ object: KObject; code: number }> {
  const key = keyOf(r.info, r.namespace, r.name!);
  typeCheck(r, obj);
  old ??= await mustGet(ctx, r.info, r.namespace, r.name!);
  if (expectedRV !== undefined && String(expectedRV) !== old.metadata.resourceVersion) {
    throw conflict(r.info.plural, r.info.group, r.name!, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  const sub = r.subresource;
  if (sub && sub !== 'status' && sub !== 'approval' && sub !== 'finalize') throw notFound(r.info.plural, r.info.group, r.name!);
  if (sub === 'approval' && storageKeyOf(r.info) !== 'certificates.k8s.io/certificatesigningrequests') throw notFound(r.info.plural, r.info.group, r.name!);
  let next: KObject;
  if (sub === 'status' || sub === 'approval') {
    next = statusUpdate(r.info, obj, old, sub);
    // A custom resource's status is checked against its schema like the rest of it.
    if (r.info.custom) validateObject(r, next, warnings);
  }
  else if (sub === 'finalize') next = { ...old, spec: { ...(old.spec as object), finalizers: (obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [] } };
  else {
    next = obj;
    const m = next.metadata;
    const om = old.metadata;
    m.uid = om.uid;
    m.creationTimestamp = om.creationTimestamp;
    m.deletionTimestamp = om.deletionTimestamp;
    m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
    if (om.deletionTimestamp === undefined) {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    delete m.selfLink;
    if (m.generateName === undefined && om.generateName !== undefined) m.generateName = om.generateName;
    prepareUpdate(r.info, next, old);
    if (om.deletionTimestamp) {
      const added = (m.finalizers ?? []).filter((f) => !(om.finalizers ?? []).includes(f));
      if (added.length) {
        throw invalid(r.info.kind, r.info.group, r.name!, [{ type: 'FieldValueForbidden', field: 'metadata.finalizers', detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }]);
      }
    }
    validateObject(r, next, warnings);
  }
  await admit(ctx, r, 'UPDATE', next, old);
  const nm = next.metadata;
  nm.resourceVersion = old.metadata.resourceVersion;
  if (tracksGeneration(r.info)) nm.generation = (old.metadata.generation ?? 1) + (specChanged(old, next) ? 1 : 0);
  // A no-op write is not a write: kube-apiserver answers with the unchanged object and the same revision.
  if (stableJson(present(r.info, next)) === stableJson(present(r.info, old))) return { object: old, code: 200 };
  if (trackFields) {
    track(r, old, next, sub === 'status' || sub === 'approval' ? 'status' : undefined);
    // Only the bookkeeping changed (a write of the same values): still no write.
    if (stableJson(present(r.info, next)) === stableJson(present(r.info, old))) return { object: old, code: 200 };
  }
  if (dryRun) return { object: next, code: 200 };
  try {
    const { object } = await storeUpdate(ctx.storage, key, next, Number(old.metadata.resourceVersion));
    return { object, code: 200 };
  } catch (e) {
    throw fromStorageError(e, r.info, r.name!);
  }
}

/** A write of the scale subresource (PUT or PATCH): the new replicas go to the object's spec path. */
export async function writeScale(ctx: RestContext, r: ResourceRequest, change: (scale: Record<string, unknown>) => unknown, dryRun: boolean, old?: KObject): Promise<void> {
  old ??= await mustGet(ctx, r.info, r.namespace, r.name!);
  const p = scalePaths(r.info);
  const scale = change(clone(toScale(r.info, old))) as { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
  const replicas = scale?.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', r.name!, [{ type: 'FieldValueInvalid', field: 'spec.replicas', badValue: replicas, detail: 'must be greater than or equal to 0' }]);
  }
  const rv = scale.metadata?.resourceVersion;
  const next = clone(old);
  setPath(next, p.spec, replicas);
  const main: ResourceRequest = { ...r, subresource: undefined };
  const { object } = await updateObject(ctx, main, next, rv ? Number(rv) : undefined, dryRun, [], true, old);
  sendJson(r.res, 200, toScale(r.info, object));
}
