/**
 * The checks every write passes before it is stored: type meta, namespace, the built-in Go type's shape, the schema
 * (prune, default, validate per fieldValidation), name and metadata rules, and admission (NodeRestriction).
 */
import { builtinTypeError } from '../builtin-types.js';
import { CRD_RESOURCE } from '../builtins.js';
import { display } from '../../lib/safe-json.js';
import type { Operation } from '../noderestriction.js';
import { storageKeyOf } from '../registry.js';
import { applyDefaults, prune, validate } from '../schema/index.js';
import { ApiError, badRequest, invalid, notFound } from '../status.js';
import type { KObject } from '../storage/index.js';
import { pruneBuiltin, validateCrd, validateDataSize, validateMeta, validateName } from '../strategy.js';
import type { FieldError, ResourceInfo } from '../types.js';
import { fieldValidation, gvOf, type ResourceRequest, type RestContext } from './scope.js';

export function checkTypeMeta(info: ResourceInfo, body: Record<string, unknown>): void {
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

export function checkNamespace(r: ResourceRequest, obj: KObject): void {
  if (r.info.namespaced) {
    const ns = obj.metadata.namespace;
    if (ns !== undefined && ns !== '' && ns !== r.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = r.namespace;
  } else delete obj.metadata.namespace;
}

export async function checkNamespaceUsable(ctx: RestContext, r: ResourceRequest): Promise<void> {
  if (!r.info.namespaced) return;
  const ns = await ctx.storage.get({ resource: '/namespaces', namespace: '', name: r.namespace! });
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
function schemaCheck(r: ResourceRequest, obj: KObject, warnings: string[]): FieldError[] {
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

export function validateObject(r: ResourceRequest, obj: KObject, warnings: string[]): void {
  const name = obj.metadata.name ?? '';
  const errs: FieldError[] = [...validateName(r.info, name), ...validateMeta(obj.metadata), ...validateDataSize(r.info, obj)];
  errs.push(...schemaCheck(r, obj, warnings));
  if (storageKeyOf(r.info) === CRD_RESOURCE) errs.push(...validateCrd(obj));
  if (errs.length) throw invalid(r.info.kind, r.info.group, name, errs);
}

/** A built-in object must decode into its Go type, as kube-apiserver's decoder requires (400 otherwise). */
export function typeCheck(r: ResourceRequest, obj: KObject): void {
  if (r.info.custom) return;
  const err = builtinTypeError(storageKeyOf(r.info), r.info.kind, gvOf(r.info), obj);
  if (err) throw badRequest(err);
}

/** Admission of a write (NodeRestriction), after defaulting and before validation, as kube's mutating admission. */
export async function admit(ctx: RestContext, r: ResourceRequest, operation: Operation, object?: KObject, old?: KObject): Promise<void> {
  if (!ctx.admission || !r.user) return;
  await ctx.admission.admit({
    user: r.user, operation, group: r.info.group, resource: r.info.plural, subresource: r.subresource, namespace: r.namespace,
    name: r.name ?? object?.metadata.name ?? '', object, old,
  });
}
