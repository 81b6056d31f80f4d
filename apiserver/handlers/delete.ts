/** DELETE of one object (Namespaces and CRDs with their own rules) and of a collection, with DeleteOptions. */
import { CRD_RESOURCE } from '../builtins.js';
import { mediaType, parseObjectBody, readBody, sendJson, sendRaw } from '../http.js';
import { deleteObject, nowRfc3339, type PropagationPolicy } from '../objects.js';
import { storageKeyOf } from '../registry.js';
import { parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { ApiError, badRequest, methodNotAllowed, unsupportedMediaType } from '../status.js';
import { StorageError, type KObject } from '../storage/index.js';
import { admit } from './checks.js';
import { jsonOf } from './response.js';
import { fromStorageError, gvOf, isDryRun, keyOf, mustGet, present, type ResourceRequest, type RestContext } from './scope.js';

async function deleteOptions(r: ResourceRequest): Promise<{ policy?: PropagationPolicy; preconditions?: { uid?: string; resourceVersion?: string }; dryRun: boolean }> {
  const raw = await readBody(r.req);
  let opts: Record<string, unknown> = {};
  if (raw.length > 0) {
    const mt = mediaType(r.req.headers['content-type']);
    if (mt && mt !== 'application/json' && mt !== 'application/yaml') throw unsupportedMediaType(mt, ['application/json', 'application/yaml']);
    opts = parseObjectBody(mt || 'application/json', raw);
  }
  const q = r.query;
  let policy = (opts.propagationPolicy ?? q.get('propagationPolicy') ?? undefined) as string | undefined;
  const orphan = opts.orphanDependents ?? (q.has('orphanDependents') ? q.get('orphanDependents') === 'true' : undefined);
  if (policy === undefined && orphan === true) policy = 'Orphan';
  if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw badRequest(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  const grace = opts.gracePeriodSeconds ?? q.get('gracePeriodSeconds');
  if (grace !== undefined && grace !== null && !Number.isFinite(Number(grace))) throw badRequest('gracePeriodSeconds: must be an integer');
  const dryRun = Array.isArray(opts.dryRun) ? opts.dryRun.length > 0 : isDryRun(q);
  return { policy: policy as PropagationPolicy | undefined, preconditions: opts.preconditions as { uid?: string; resourceVersion?: string } | undefined, dryRun };
}

export async function deleteResource(ctx: RestContext, r: ResourceRequest): Promise<void> {
  if (r.subresource) throw methodNotAllowed(`DELETE on ${r.subresource}`);
  const opts = await deleteOptions(r);
  const key = keyOf(r.info, r.namespace, r.name!);
  const cur = await mustGet(ctx, r.info, r.namespace, r.name!);
  await admit(ctx, r, 'DELETE', undefined, cur);
  if (opts.dryRun) return sendRaw(r.res, 200, jsonOf(present(r.info, cur)));
  const storageKey = storageKeyOf(r.info);
  if (storageKey === '/namespaces') return deleteNamespace(ctx, r, cur);
  if (storageKey === CRD_RESOURCE) await removeCustomResources(ctx, cur);
  try {
    const { object, deleted } = await deleteObject(ctx.storage, key, { ...opts, hasDependents: ctx.gc.hasDependents });
    sendRaw(r.res, deleted ? 200 : 202, jsonOf(present(r.info, object)));
  } catch (e) {
    throw fromStorageError(e, r.info, r.name!);
  }
}

/** A CRD's objects go with it (kube-apiserver's customresourcecleanup finalizer, done inline). */
async function removeCustomResources(ctx: RestContext, crd: KObject): Promise<void> {
  const spec = crd.spec as { group?: string; names?: { plural?: string } } | undefined;
  if (!spec?.group || !spec.names?.plural) return;
  const resource = `${spec.group}/${spec.names.plural}`;
  const { items } = await ctx.storage.list(resource);
  for (const o of items) {
    await ctx.storage.delete({ resource, namespace: o.metadata.namespace ?? '', name: o.metadata.name! }).catch(() => undefined);
  }
}

async function deleteNamespace(ctx: RestContext, r: ResourceRequest, cur: KObject): Promise<void> {
  if (['default', 'kube-system', 'kube-public'].includes(r.name!)) {
    throw new ApiError(403, 'Forbidden', `namespaces "${r.name}" is forbidden: this namespace may not be deleted`, { name: r.name, kind: 'namespaces' });
  }
  if (cur.metadata.deletionTimestamp) return sendRaw(r.res, 200, jsonOf(cur));
  const next: KObject = {
    ...cur, metadata: { ...cur.metadata, deletionTimestamp: nowRfc3339(), deletionGracePeriodSeconds: 0 },
    status: { ...(cur.status as object), phase: 'Terminating' },
  };
  try {
    const stored = await ctx.storage.update(keyOf(r.info, undefined, r.name!), next, Number(cur.metadata.resourceVersion));
    sendRaw(r.res, 200, jsonOf(stored));
  } catch (e) {
    throw fromStorageError(e, r.info, r.name!);
  }
}

export async function deleteCollection(ctx: RestContext, r: ResourceRequest): Promise<void> {
  const opts = await deleteOptions(r);
  const labels = parseLabelSelector(r.query.get('labelSelector') ?? undefined);
  const fields = parseFieldSelector(r.query.get('fieldSelector') ?? undefined);
  const { items } = await ctx.storage.list(storageKeyOf(r.info), r.info.namespaced ? r.namespace : undefined);
  const out: KObject[] = [];
  for (const o of items) {
    if ((labels && !labels(o.metadata.labels)) || (fields && !fields(o))) continue;
    if (opts.dryRun) {
      out.push(o);
      continue;
    }
    try {
      const { object } = await deleteObject(ctx.storage, keyOf(r.info, o.metadata.namespace, o.metadata.name!), { policy: opts.policy, hasDependents: ctx.gc.hasDependents });
      out.push(object);
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
    }
  }
  sendJson(r.res, 200, { kind: r.info.listKind, apiVersion: gvOf(r.info), metadata: { resourceVersion: String(ctx.storage.currentRV()) }, items: out.map((o) => present(r.info, o)) });
}
