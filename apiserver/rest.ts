/**
 * The REST verbs on resources: get, list, create, update, patch, delete and deletecollection, with their
 * subresources (status, scale, approval, finalize). Watches live in watch.ts.
 */
import { withinDecodeLimits } from './http.js';
import { waitUntilFresh } from './watch.js';
import { builtinTypeError } from './builtin-types.js';
import type { NodeRestriction, Operation } from './noderestriction.js';
import { checkDecoded, display, getOwn, MAX_JSON_DEPTH, setOwn } from '../lib/safe-json.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logging.js';
import { CRD_RESOURCE, EXTRA_SUBRESOURCES } from './builtins.js';
import type { GarbageCollector } from './gc.js';
import { MAX_BODY_BYTES, negotiate, parseObjectBody, parsePatchBody, PATCH_TYPES, mediaType, readBody, sendJson, sendRaw, type Negotiated, type PatchKind } from './http.js';
import { eventFromV1, eventToV1 } from './events.js';
import { deleteObject, nowRfc3339, storeUpdate, type PropagationPolicy } from './objects.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, conflictStatus, managerFromUserAgent, PatchError, recordUpdate, serverSideApply, type JsonObject } from './patch/index.js';
import { Registry, storageKeyOf } from './registry.js';
import { applyDefaults, prune, validate } from './schema/index.js';
import { formatLabelSelector, parseFieldSelector, parseLabelSelector } from './selectors.js';
import {
  alreadyExists, ApiError, badRequest, conflict, invalid, methodNotAllowed, notFound, statusBody, unsupportedMediaType, type StatusDetails,
} from './status.js';
import { StorageError, type KObject, type ObjectKey, type Storage } from './storage/index.js';
import { prepareCreate, prepareUpdate, pruneBuiltin, validateDataSize, specChanged, stableJson, statusUpdate, tracksGeneration, validateCrd, validateMeta, validateName } from './strategy.js';
import { toTable } from './table/index.js';
import type { UserInfo } from './auth.js';
import type { FieldError, ResourceInfo } from './types.js';
import type { WatchCache } from './watchcache.js';

export interface RestContext {
  storage: Storage;
  registry: Registry;
  watchCache: WatchCache;
  gc: GarbageCollector;
  logger: Logger;
  /** The NodeRestriction admission plugin, when enabled. */
  admission?: NodeRestriction;
}

export interface ResourceRequest {
  req: IncomingMessage;
  res: ServerResponse;
  info: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  /** The authenticated user (CSRs record their requestor). */
  user?: UserInfo;
}

export const gvOf = (info: { group: string; version: string }): string => (info.group ? `${info.group}/${info.version}` : info.version);

const jsonCache = new WeakMap<object, string>();
/** JSON of a stored (immutable) object, rendered once. */
export function jsonOf(obj: object): string {
  let s = jsonCache.get(obj);
  if (s === undefined) {
    s = JSON.stringify(obj);
    jsonCache.set(obj, s);
  }
  return s;
}

/** A stored object as the requested version presents it (custom resources are stored at any served version). */
export function present(info: ResourceInfo, obj: KObject): KObject {
  const gv = gvOf(info);
  if (obj.apiVersion === gv) return obj;
  if (gv === 'events.k8s.io/v1') return eventToV1(obj);
  return { ...obj, apiVersion: gv };
}

/** The stored form of a request's object: events.k8s.io Events are kept as core Events. */
function toStored(info: ResourceInfo, obj: KObject): KObject {
  return gvOf(info) === 'events.k8s.io/v1' ? eventFromV1(obj) : obj;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export function keyOf(info: ResourceInfo, namespace: string | undefined, name: string): ObjectKey {
  return { resource: storageKeyOf(info), namespace: info.namespaced ? namespace ?? '' : '', name };
}

function fromStorageError(e: unknown, info: ResourceInfo, name: string): unknown {
  if (!(e instanceof StorageError)) return e;
  if (e.reason === 'NotFound') return notFound(info.plural, info.group, name, info.kind);
  if (e.reason === 'AlreadyExists') return alreadyExists(info.plural, info.group, name, info.kind);
  return conflict(info.plural, info.group, name, e.message);
}

const RANDOM_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += RANDOM_CHARS[Math.floor(Math.random() * RANDOM_CHARS.length)];
  return s;
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
function fieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation') ?? 'Warn';
  if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore') throw badRequest(`fieldValidation: invalid value "${v}": must be one of Strict, Warn, Ignore`);
  return v;
}

function isDryRun(q: URLSearchParams): boolean {
  const d = q.getAll('dryRun');
  for (const v of d) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return d.length > 0;
}

/** The field manager of an ordinary write: ?fieldManager, else the client's User-Agent name, as kube-apiserver does. */
function updateManager(r: ResourceRequest): string {
  return r.query.get('fieldManager') || managerFromUserAgent(r.req.headers['user-agent']);
}

function track(r: ResourceRequest, old: KObject | undefined, next: KObject, subresource?: string): void {
  recordUpdate(old as JsonObject | undefined, next as JsonObject, updateManager(r), gvOf(r.info), {
    schema: r.info.schema, subresource, hasStatusSubresource: !!r.info.subresources.status,
  });
}

export class Rest {
  constructor(private readonly ctx: RestContext) {}

  // ---- reads -------------------------------------------------------------------------------------------

  async get(r: ResourceRequest, neg: Negotiated): Promise<void> {
    await this.notOlderThan(r);
    const obj = await this.mustGet(r.info, r.namespace, r.name!);
    if (r.subresource === 'scale') return sendJson(r.res, 200, this.toScale(r.info, obj));
    if (r.subresource && r.subresource !== 'status' && !(EXTRA_SUBRESOURCES[storageKeyOf(r.info)] ?? []).includes(r.subresource)) throw notFound(r.info.plural, r.info.group, r.name!);
    const out = present(r.info, obj);
    if (neg.table) return this.sendTable(r, [out], { resourceVersion: obj.metadata.resourceVersion });
    if (neg.partialMetadata) return sendJson(r.res, 200, partial(out));
    sendRaw(r.res, 200, jsonOf(out));
  }

  private async mustGet(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KObject> {
    const obj = await this.ctx.storage.get(keyOf(info, namespace, name));
    if (!obj) throw notFound(info.plural, info.group, name, info.kind);
    return obj;
  }

  /** ?resourceVersion=N on a get or list means "not older than N": a revision the store has not reached waits, then 504. */
  private async notOlderThan(r: ResourceRequest): Promise<void> {
    const rv = r.query.get('resourceVersion');
    if (rv && /^\d+$/.test(rv) && Number(rv) > this.ctx.storage.currentRV()) await waitUntilFresh(this.ctx, Number(rv));
  }

  async list(r: ResourceRequest, neg: Negotiated): Promise<void> {
    const q = r.query;
    await this.notOlderThan(r);
    const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
    const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
    const limit = Number(q.get('limit') ?? '0');
    if (!Number.isInteger(limit) || limit < 0) throw badRequest(`limit: Invalid value: "${q.get('limit')}": must be a non-negative integer`);
    let after: string | undefined;
    const cont = q.get('continue');
    if (cont) {
      try {
        const tok = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as { start?: unknown };
        if (typeof tok.start !== 'string') throw new Error('bad token');
        after = tok.start;
      } catch {
        throw badRequest('continue key is not valid: the continue token is malformed');
      }
    }
    const { items: all, rv } = await this.ctx.storage.list(storageKeyOf(r.info), r.info.namespaced ? r.namespace : undefined);
    const out: KObject[] = [];
    let next: string | undefined;
    let remaining = 0;
    for (const o of all) {
      const pos = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      if (after !== undefined && pos <= after) continue;
      if (labels && !labels(o.metadata.labels)) continue;
      if (fields && !fields(o)) continue;
      if (limit > 0 && out.length >= limit) {
        remaining++;
        continue;
      }
      out.push(o);
      if (limit > 0 && out.length === limit) next = pos;
    }
    const listMeta: Record<string, unknown> = { resourceVersion: String(rv) };
    if (remaining > 0 && next !== undefined) {
      listMeta.continue = Buffer.from(JSON.stringify({ rv, start: next })).toString('base64url');
      listMeta.remainingItemCount = remaining;
    }
    const items = out.map((o) => present(r.info, o));
    if (neg.table) return this.sendTable(r, items, listMeta);
    if (neg.partialMetadata) {
      return sendJson(r.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: items.map(partial) });
    }
    const head = `{"kind":${JSON.stringify(r.info.listKind)},"apiVersion":${JSON.stringify(gvOf(r.info))},"metadata":${JSON.stringify(listMeta)},"items":[`;
    sendRaw(r.res, 200, head + items.map(jsonOf).join(',') + ']}');
  }

  sendTable(r: ResourceRequest, items: KObject[], listMeta: Record<string, unknown>): void {
    const table = tableFor(r.info, items, listMeta, r.query.get('includeObject'));
    sendJson(r.res, 200, table, 'application/json;as=Table;v=v1;g=meta.k8s.io');
  }

  // ---- writes ------------------------------------------------------------------------------------------

  private checkTypeMeta(info: ResourceInfo, body: Record<string, unknown>): void {
    const gv = gvOf(info);
    if (body.apiVersion !== undefined && body.apiVersion !== gv) {
      // Built-in kinds answer this way; a custom resource stored at another served version is also refused.
      throw badRequest(`the API version in the data (${display(body.apiVersion)}) does not match the expected API version (${gv})`);
    }
    if (body.kind !== undefined && body.kind !== info.kind) {
      throw badRequest(`the kind in the data (${display(body.kind)}) does not match the expected kind (${info.kind}) for ${gv}, Resource=${info.plural}`);
    }
    body.apiVersion = gv;
    body.kind = info.kind;
    if (body.metadata === undefined || body.metadata === null) body.metadata = {};
    if (typeof body.metadata !== 'object' || Array.isArray(body.metadata)) throw badRequest('metadata: must be an object');
  }

  private checkNamespace(r: ResourceRequest, obj: KObject): void {
    if (r.info.namespaced) {
      const ns = obj.metadata.namespace;
      if (ns !== undefined && ns !== '' && ns !== r.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = r.namespace;
    } else delete obj.metadata.namespace;
  }

  private async checkNamespaceUsable(r: ResourceRequest): Promise<void> {
    if (!r.info.namespaced) return;
    const ns = await this.ctx.storage.get({ resource: '/namespaces', namespace: '', name: r.namespace! });
    if (!ns) throw notFound('namespaces', '', r.namespace!, 'Namespace');
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `${r.info.plural}${r.info.group ? '.' + r.info.group : ''} "${r.name ?? ''}" is forbidden: unable to create new content in namespace ${r.namespace} because it is being terminated`, { name: r.name, group: r.info.group, kind: r.info.plural });
    }
  }

  /**
   * Unknown fields (by the CRD's schema, or a built-in kind's top-level fields) are pruned, then refused, warned
   * about or ignored per fieldValidation; custom resources are then defaulted and validated. apiVersion, kind and
   * metadata are kube-apiserver's, not the schema's.
   */
  private schemaCheck(r: ResourceRequest, obj: KObject, warnings: string[]): FieldError[] {
    const schema = r.info.schema;
    const { apiVersion, kind, metadata } = obj;
    const unknown = schema ? prune(schema, obj).filter((p) => !/^(apiVersion|kind|metadata)(\.|$|\[)/.test(p)) : pruneBuiltin(r.info, obj);
    obj.apiVersion = apiVersion;
    obj.kind = kind;
    obj.metadata = metadata;
    if (unknown.length) {
      const mode = fieldValidation(r.query);
      const msgs = unknown.map((p) => `unknown field "${p}"`);
      if (mode === 'Strict') throw badRequest(`strict decoding error: ${msgs.join(', ')}`);
      if (mode === 'Warn') warnings.push(...msgs);
    }
    if (!schema) return [];
    applyDefaults(schema, obj);
    obj.metadata = metadata;
    return validate(schema, obj);
  }

  private validateObject(r: ResourceRequest, obj: KObject, warnings: string[]): void {
    const name = obj.metadata.name ?? '';
    const errs: FieldError[] = [...validateName(r.info, name), ...validateMeta(obj.metadata), ...validateDataSize(r.info, obj)];
    errs.push(...this.schemaCheck(r, obj, warnings));
    if (storageKeyOf(r.info) === CRD_RESOURCE) errs.push(...validateCrd(obj));
    if (errs.length) throw invalid(r.info.kind, r.info.group, name, errs);
  }

  /** A built-in object must decode into its Go type, as kube-apiserver's decoder requires (400 otherwise). */
  private typeCheck(r: ResourceRequest, obj: KObject): void {
    if (r.info.custom) return;
    const err = builtinTypeError(storageKeyOf(r.info), r.info.kind, gvOf(r.info), obj);
    if (err) throw badRequest(err);
  }

  /** Admission of a write (NodeRestriction), after defaulting and before validation, as kube's mutating admission. */
  private async admit(r: ResourceRequest, operation: Operation, object?: KObject, old?: KObject): Promise<void> {
    if (!this.ctx.admission || !r.user) return;
    await this.ctx.admission.admit({
      user: r.user, operation, group: r.info.group, resource: r.info.plural, subresource: r.subresource, namespace: r.namespace,
      name: r.name ?? object?.metadata.name ?? '', object, old,
    });
  }

  private sendWritten(r: ResourceRequest, code: number, obj: KObject, warnings: string[]): void {
    if (warnings.length) r.res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
    sendRaw(r.res, code, jsonOf(present(r.info, obj)));
  }

  async create(r: ResourceRequest): Promise<void> {
    if (r.subresource) throw methodNotAllowed(`POST on ${r.subresource}`);
    const body = withinDecodeLimits(parseObjectBody(r.req.headers['content-type'], await readBody(r.req)));
    fieldValidation(r.query);
    const dryRun = isDryRun(r.query);
    this.checkTypeMeta(r.info, body);
    const obj = toStored(r.info, body as KObject);
    const warnings: string[] = [];
    const created = await this.createObject(r, obj, dryRun, warnings, true);
    this.sendWritten(r, 201, created, warnings);
  }

  private async createObject(r: ResourceRequest, obj: KObject, dryRun: boolean, warnings: string[], trackFields: boolean): Promise<KObject> {
    this.typeCheck(r, obj);
    const m = obj.metadata;
    if (!m.name) {
      if (typeof m.generateName === 'string' && m.generateName) m.name = m.generateName + randomSuffix();
      else throw invalid(r.info.kind, r.info.group, '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }]);
    }
    if (typeof m.name !== 'string') throw badRequest('metadata.name: must be a string');
    this.checkNamespace(r, obj);
    const scoped: ResourceRequest = { ...r, name: m.name };
    await this.checkNamespaceUsable(scoped);
    m.uid = randomUUID();
    m.creationTimestamp = nowRfc3339();
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.selfLink;
    if (tracksGeneration(r.info)) m.generation = 1;
    else delete m.generation;
    prepareCreate(r.info, obj, r.user);
    await this.admit(scoped, 'CREATE', obj);
    this.validateObject(scoped, obj, warnings);
    if (trackFields) track(r, undefined, obj);
    if (dryRun) return obj;
    try {
      return await this.ctx.storage.create(keyOf(r.info, r.namespace, m.name), obj);
    } catch (e) {
      throw fromStorageError(e, r.info, m.name);
    }
  }

  async update(r: ResourceRequest): Promise<void> {
    const body = withinDecodeLimits(parseObjectBody(r.req.headers['content-type'], await readBody(r.req)));
    fieldValidation(r.query);
    const dryRun = isDryRun(r.query);
    if (r.subresource === 'scale') return this.writeScale(r, () => body, dryRun);
    this.checkTypeMeta(r.info, body);
    const obj = toStored(r.info, body as KObject);
    if (obj.metadata.name !== undefined && obj.metadata.name !== r.name) {
      throw badRequest(`the name of the object (${display(obj.metadata.name)}) does not match the name on the URL (${r.name})`);
    }
    obj.metadata.name = r.name;
    this.checkNamespace(r, obj);
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && !/^\d+$/.test(String(rv))) {
      throw invalid(r.info.kind, r.info.group, r.name!, [{ type: 'FieldValueInvalid', field: 'metadata.resourceVersion', badValue: rv, detail: 'must be a decimal revision' }]);
    }
    const warnings: string[] = [];
    const { object, code } = await this.updateObject(r, obj, rv ? Number(rv) : undefined, dryRun, warnings, true);
    this.sendWritten(r, code, object, warnings);
  }

  /** The shared tail of PUT and PATCH: carry server-owned fields, validate, store with compare-and-swap. */
  private async updateObject(r: ResourceRequest, obj: KObject, expectedRV: number | undefined, dryRun: boolean, warnings: string[], trackFields: boolean, old?: KObject): Promise<{ object: KObject; code: number }> {
    const key = keyOf(r.info, r.namespace, r.name!);
    this.typeCheck(r, obj);
    old ??= await this.mustGet(r.info, r.namespace, r.name!);
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
      if (r.info.custom) this.validateObject(r, next, warnings);
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
      this.validateObject(r, next, warnings);
    }
    await this.admit(r, 'UPDATE', next, old);
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
      const { object } = await storeUpdate(this.ctx.storage, key, next, Number(old.metadata.resourceVersion));
      return { object, code: 200 };
    } catch (e) {
      throw fromStorageError(e, r.info, r.name!);
    }
  }

  async patch(r: ResourceRequest): Promise<void> {
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
      const old = await this.ctx.storage.get(keyOf(r.info, r.namespace, r.name!));
      try {
        if (r.subresource === 'scale') {
          if (!old) throw notFound(r.info.plural, r.info.group, r.name!);
          return await this.writeScale(r, (scale) => runPatch(kind, scale as JsonObject, patch, 'autoscaling/v1', 'Scale', manager, force, undefined), dryRun, old);
        }
        if (!old) {
          if (kind !== 'apply' || r.subresource) throw notFound(r.info.plural, r.info.group, r.name!, r.info.kind);
          const applied = runPatch(kind, undefined, patch, gvOf(r.info), r.info.kind, manager, force, r) as KObject;
          this.checkTypeMeta(r.info, applied);
          if (applied.metadata.name !== undefined && applied.metadata.name !== r.name) throw badRequest(`the name of the object (${display(applied.metadata.name)}) does not match the name on the URL (${r.name})`);
          applied.metadata.name = r.name;
          const created = await this.createObject(r, toStored(r.info, applied), dryRun, warnings, false);
          return this.sendWritten(r, 201, created, warnings);
        }
        const base = clone(present(r.info, old)) as JsonObject;
        const result = runPatch(kind, base, patch, gvOf(r.info), r.info.kind, manager, force, r) as KObject;
        if (!result || typeof result !== 'object' || Array.isArray(result)) throw badRequest('the patch produced something that is not an object');
        this.checkTypeMeta(r.info, result);
        const patched = toStored(r.info, result);
        if (patched.metadata.name !== r.name) throw badRequest(`the name of the object (${display(patched.metadata.name)}) does not match the name on the URL (${r.name})`);
        this.checkNamespace(r, patched);
        const rv = patched.metadata.resourceVersion;
        const explicitRV = rv !== undefined && rv !== old.metadata.resourceVersion;
        const { object } = await this.updateObject(r, patched, rv ? Number(rv) : undefined, dryRun, warnings, kind !== 'apply', explicitRV ? undefined : old);
        return this.sendWritten(r, 200, object, warnings);
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

  // ---- scale -------------------------------------------------------------------------------------------

  private scalePaths(info: ResourceInfo): { spec: string[]; status: string[]; selector?: string[] } {
    const s = info.subresources.scale;
    if (!s) throw notFound(info.plural, info.group, 'scale');
    const split = (p: string): string[] => p.replace(/^\./, '').split('.');
    return { spec: split(s.specReplicasPath), status: split(s.statusReplicasPath), selector: s.labelSelectorPath ? split(s.labelSelectorPath) : undefined };
  }

  toScale(info: ResourceInfo, obj: KObject): Record<string, unknown> {
    const p = this.scalePaths(info);
    const m = obj.metadata;
    const status: Record<string, unknown> = { replicas: Number(getPath(obj, p.status) ?? 0) };
    if (p.selector) {
      const sel = formatLabelSelector(getPath(obj, p.selector));
      if (sel) status.selector = sel;
    }
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: Number(getPath(obj, p.spec) ?? 0) },
      status,
    };
  }

  private async writeScale(r: ResourceRequest, change: (scale: Record<string, unknown>) => unknown, dryRun: boolean, old?: KObject): Promise<void> {
    old ??= await this.mustGet(r.info, r.namespace, r.name!);
    const p = this.scalePaths(r.info);
    const scale = change(clone(this.toScale(r.info, old))) as { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
    const replicas = scale?.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', r.name!, [{ type: 'FieldValueInvalid', field: 'spec.replicas', badValue: replicas, detail: 'must be greater than or equal to 0' }]);
    }
    const rv = scale.metadata?.resourceVersion;
    const next = clone(old);
    setPath(next, p.spec, replicas);
    const main: ResourceRequest = { ...r, subresource: undefined };
    const { object } = await this.updateObject(main, next, rv ? Number(rv) : undefined, dryRun, [], true, old);
    sendJson(r.res, 200, this.toScale(r.info, object));
  }

  // ---- deletion ----------------------------------------------------------------------------------------

  private async deleteOptions(r: ResourceRequest): Promise<{ policy?: PropagationPolicy; preconditions?: { uid?: string; resourceVersion?: string }; dryRun: boolean }> {
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

  async delete(r: ResourceRequest): Promise<void> {
    if (r.subresource) throw methodNotAllowed(`DELETE on ${r.subresource}`);
    const opts = await this.deleteOptions(r);
    const key = keyOf(r.info, r.namespace, r.name!);
    const cur = await this.mustGet(r.info, r.namespace, r.name!);
    await this.admit(r, 'DELETE', undefined, cur);
    if (opts.dryRun) return sendRaw(r.res, 200, jsonOf(present(r.info, cur)));
    const storageKey = storageKeyOf(r.info);
    if (storageKey === '/namespaces') return this.deleteNamespace(r, cur);
    if (storageKey === CRD_RESOURCE) await this.removeCustomResources(cur);
    try {
      const { object, deleted } = await deleteObject(this.ctx.storage, key, { ...opts, hasDependents: this.ctx.gc.hasDependents });
      sendRaw(r.res, deleted ? 200 : 202, jsonOf(present(r.info, object)));
    } catch (e) {
      throw fromStorageError(e, r.info, r.name!);
    }
  }

  /** A CRD's objects go with it (kube-apiserver's customresourcecleanup finalizer, done inline). */
  private async removeCustomResources(crd: KObject): Promise<void> {
    const spec = crd.spec as { group?: string; names?: { plural?: string } } | undefined;
    if (!spec?.group || !spec.names?.plural) return;
    const resource = `${spec.group}/${spec.names.plural}`;
    const { items } = await this.ctx.storage.list(resource);
    for (const o of items) {
      await this.ctx.storage.delete({ resource, namespace: o.metadata.namespace ?? '', name: o.metadata.name! }).catch(() => undefined);
    }
  }

  private async deleteNamespace(r: ResourceRequest, cur: KObject): Promise<void> {
    if (['default', 'kube-system', 'kube-public'].includes(r.name!)) {
      throw new ApiError(403, 'Forbidden', `namespaces "${r.name}" is forbidden: this namespace may not be deleted`, { name: r.name, kind: 'namespaces' });
    }
    if (cur.metadata.deletionTimestamp) return sendRaw(r.res, 200, jsonOf(cur));
    const next: KObject = {
      ...cur, metadata: { ...cur.metadata, deletionTimestamp: nowRfc3339(), deletionGracePeriodSeconds: 0 },
      status: { ...(cur.status as object), phase: 'Terminating' },
    };
    try {
      const stored = await this.ctx.storage.update(keyOf(r.info, undefined, r.name!), next, Number(cur.metadata.resourceVersion));
      sendRaw(r.res, 200, jsonOf(stored));
    } catch (e) {
      throw fromStorageError(e, r.info, r.name!);
    }
  }

  async deleteCollection(r: ResourceRequest): Promise<void> {
    const opts = await this.deleteOptions(r);
    const labels = parseLabelSelector(r.query.get('labelSelector') ?? undefined);
    const fields = parseFieldSelector(r.query.get('fieldSelector') ?? undefined);
    const { items } = await this.ctx.storage.list(storageKeyOf(r.info), r.info.namespaced ? r.namespace : undefined);
    const out: KObject[] = [];
    for (const o of items) {
      if ((labels && !labels(o.metadata.labels)) || (fields && !fields(o))) continue;
      if (opts.dryRun) {
        out.push(o);
        continue;
      }
      try {
        const { object } = await deleteObject(this.ctx.storage, keyOf(r.info, o.metadata.namespace, o.metadata.name!), { policy: opts.policy, hasDependents: this.ctx.gc.hasDependents });
        out.push(object);
      } catch (e) {
        if (!(e instanceof StorageError)) throw e;
      }
    }
    sendJson(r.res, 200, { kind: r.info.listKind, apiVersion: gvOf(r.info), metadata: { resourceVersion: String(this.ctx.storage.currentRV()) }, items: out.map((o) => present(r.info, o)) });
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

function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = getOwn(cur, seg);
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const seg of path.slice(0, -1)) {
    const child = getOwn(cur, seg);
    if (!child || typeof child !== 'object') setOwn(cur, seg, {});
    cur = getOwn(cur, seg) as Record<string, unknown>;
  }
  setOwn(cur, path[path.length - 1]!, value);
}

export function partial(o: KObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** A Table of objects, with rows carrying the object, its metadata or nothing, per ?includeObject. */
export function tableFor(info: ResourceInfo, items: KObject[], listMeta: Record<string, unknown>, includeObject: string | null): Record<string, unknown> {
  const table = toTable(info, items, listMeta);
  const mode = includeObject ?? 'Metadata';
  const rows = (table.rows as { object?: unknown }[] | undefined) ?? [];
  rows.forEach((row, i) => {
    if (mode === 'None') delete row.object;
    else if (mode === 'Metadata') row.object = partial(items[i]!);
    else row.object = items[i];
  });
  return table;
}

export { MAX_BODY_BYTES, statusBody, negotiate };
