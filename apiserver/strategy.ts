/**
 * Per-type behaviour on create and update, kube-apiserver's "strategies": which names are valid, which
 * fields the server owns, what a status or approval write may change, and how generation moves.
 */
import { setOwn } from '../lib/safe-json.js';
import { CRD_RESOURCE } from './builtins.js';
import { crdResources, storageKeyOf, type CrdSpec } from './registry.js';
import type { KObject } from './storage/index.js';
import { validateStructural } from './schema/index.js';
import type { UserInfo } from './auth.js';
import type { FieldError, ResourceInfo } from './types.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Resources whose names are path segments (RBAC's `system:node`, kubelet's `node-csr-...`) rather than DNS names. */
const PATH_SEGMENT_NAMES = new Set([
  'rbac.authorization.k8s.io/roles', 'rbac.authorization.k8s.io/rolebindings', 'rbac.authorization.k8s.io/clusterroles',
  'rbac.authorization.k8s.io/clusterrolebindings', 'certificates.k8s.io/certificatesigningrequests',
]);

export function validateName(info: ResourceInfo, name: string): FieldError[] {
  const key = storageKeyOf(info);
  if (PATH_SEGMENT_NAMES.has(key)) {
    if (name === '.' || name === '..' || /[/%]/.test(name)) {
      return [{ type: 'FieldValueInvalid', field: 'metadata.name', badValue: name, detail: `may not contain '/' or '%' and may not be '.' or '..'` }];
    }
    return [];
  }
  if (key === '/namespaces') {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) return [{ type: 'FieldValueInvalid', field: 'metadata.name', badValue: name, detail: name.length > 63 ? 'must be no more than 63 characters' : LABEL_MSG }];
    return [];
  }
  if (name.length > 253) return [{ type: 'FieldValueInvalid', field: 'metadata.name', badValue: name, detail: 'must be no more than 253 characters' }];
  if (!DNS1123_SUBDOMAIN.test(name)) return [{ type: 'FieldValueInvalid', field: 'metadata.name', badValue: name, detail: SUBDOMAIN_MSG }];
  return [];
}

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** apimachinery's TotalAnnotationSizeLimitB: keys and values of all annotations together, 256 KiB. */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
/** api.MaxSecretSize: a ConfigMap's or Secret's data, 1 MiB. */
const MAX_DATA_SIZE = 1024 * 1024;

/** ValidateConfigMap / ValidateSecret: the data together may not exceed 1 MiB. */
export function validateDataSize(info: ResourceInfo, obj: KObject): FieldError[] {
  const key = storageKeyOf(info);
  if (key !== '/configmaps' && key !== '/secrets') return [];
  let total = 0;
  for (const field of ['data', 'binaryData'] as const) {
    const m = obj[field];
    if (!m || typeof m !== 'object') continue;
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      const bytes = typeof v !== 'string' ? 0 : key === '/secrets' || field === 'binaryData' ? Math.floor((v.length * 3) / 4) : Buffer.byteLength(v);
      total += Buffer.byteLength(k) + bytes;
    }
  }
  return total > MAX_DATA_SIZE ? [{ type: 'FieldValueTooLong', field: key === '/secrets' ? 'data' : '', detail: `may not be more than ${MAX_DATA_SIZE} bytes` }] : [];
}

export function validateMeta(meta: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  for (const field of ['labels', 'annotations'] as const) {
    const v = meta[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'object' || Array.isArray(v)) {
      errs.push({ type: 'FieldValueTypeInvalid', field: `metadata.${field}`, badValue: v, detail: 'must be a map of string keys to string values' });
      continue;
    }
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (!QUALIFIED_NAME.test(k) || k.split('/').pop()!.length > 63) {
        errs.push({ type: 'FieldValueInvalid', field: `metadata.${field}`, badValue: k, detail: "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character" });
      }
      if (typeof val !== 'string') errs.push({ type: 'FieldValueTypeInvalid', field: `metadata.${field}.${k}`, badValue: val, detail: 'must be a string' });
      else if (field === 'labels' && (val.length > 63 || !LABEL_VALUE.test(val))) {
        errs.push({ type: 'FieldValueInvalid', field: `metadata.labels`, badValue: val, detail: "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character" });
      }
    }
  }
  const annotations = meta.annotations;
  if (annotations && typeof annotations === 'object' && !Array.isArray(annotations)) {
    let total = 0;
    for (const [k, v] of Object.entries(annotations)) total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '');
    if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push({ type: 'FieldValueTooLong', field: 'metadata.annotations', detail: `may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes` });
  }
  for (const field of ['finalizers'] as const) {
    const v = meta[field];
    if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) {
      errs.push({ type: 'FieldValueTypeInvalid', field: `metadata.${field}`, badValue: v, detail: 'must be a list of strings' });
    }
  }
  const owners = meta.ownerReferences;
  if (owners !== undefined && owners !== null) {
    if (!Array.isArray(owners)) errs.push({ type: 'FieldValueTypeInvalid', field: 'metadata.ownerReferences', badValue: owners, detail: 'must be a list' });
    else owners.forEach((o: unknown, i) => {
      const r = (o ?? {}) as Record<string, unknown>;
      for (const f of ['apiVersion', 'kind', 'name', 'uid']) {
        if (typeof r[f] !== 'string' || !r[f]) errs.push({ type: 'FieldValueRequired', field: `metadata.ownerReferences[${i}].${f}`, detail: '' });
      }
    });
  }
  return errs;
}

/** Top-level fields of the built-in kinds, so that unknown ones are refused or warned about as kube-apiserver does. */
const BUILTIN_FIELDS: Record<string, string[]> = {
  '/namespaces': ['spec', 'status'],
  '/secrets': ['data', 'stringData', 'type', 'immutable'],
  '/configmaps': ['data', 'binaryData', 'immutable'],
  '/nodes': ['spec', 'status'],
  '/events': ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance'],
  '/serviceaccounts': ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  '/pods': ['spec', 'status'],
  'coordination.k8s.io/leases': ['spec'],
  'certificates.k8s.io/certificatesigningrequests': ['spec', 'status'],
  'rbac.authorization.k8s.io/roles': ['rules'],
  'rbac.authorization.k8s.io/clusterroles': ['rules', 'aggregationRule'],
  'rbac.authorization.k8s.io/rolebindings': ['subjects', 'roleRef'],
  'rbac.authorization.k8s.io/clusterrolebindings': ['subjects', 'roleRef'],
  [CRD_RESOURCE]: ['spec', 'status'],
};

/** Drops unknown top-level fields of a built-in object and returns their names (the schema module does this for CRs). */
export function pruneBuiltin(info: ResourceInfo, obj: KObject): string[] {
  const known = BUILTIN_FIELDS[storageKeyOf(info)];
  if (!known) return [];
  const unknown: string[] = [];
  for (const k of Object.keys(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || known.includes(k)) continue;
    unknown.push(k);
    delete obj[k];
  }
  return unknown;
}

/** Resources that keep metadata.generation (every custom resource, and kube's built-ins with a spec here). */
export function tracksGeneration(info: ResourceInfo): boolean {
  return info.custom || storageKeyOf(info) === CRD_RESOURCE;
}

/** True when anything but metadata and status differs: kube-apiserver's rule for bumping generation. */
export function specChanged(a: KObject, b: KObject): boolean {
  const strip = (o: KObject): string => {
    const { metadata: _m, status: _s, ...rest } = o;
    return stableJson(rest);
  };
  return strip(a) !== strip(b);
}

export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(stableJson).join(',') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => JSON.stringify(k) + ':' + stableJson((v as Record<string, unknown>)[k])).join(',') + '}';
  }
  return JSON.stringify(v) ?? 'null';
}

/** Fields the server sets on create, per type; `user` is who asks (a CSR records its requestor). */
export function prepareCreate(info: ResourceInfo, obj: KObject, user?: UserInfo): void {
  const key = storageKeyOf(info);
  if (key === 'certificates.k8s.io/certificatesigningrequests' && user) {
    // The requestor is the authenticated user, whatever the body claims (kube's csrStrategy.PrepareForCreate).
    const { username: _u, groups: _g, uid: _i, extra: _e, ...rest } = (obj.spec ?? {}) as Record<string, unknown>;
    obj.spec = { ...rest, username: user.name, groups: user.groups, ...(user.uid ? { uid: user.uid } : {}) };
  }
  if (info.subresources.status && (info.custom || key === 'certificates.k8s.io/certificatesigningrequests')) delete obj.status;
  if (key === '/namespaces') {
    const spec = (obj.spec ?? {}) as { finalizers?: string[] };
    obj.spec = { ...spec, finalizers: spec.finalizers ?? ['kubernetes'] };
    obj.status = { phase: 'Active' };
  }
  if (key === '/secrets') normalizeSecret(obj);
  if (key === CRD_RESOURCE) obj.status = crdStatus(obj, undefined);
}

/** Fields an update of the main resource may not change, per type. */
export function prepareUpdate(info: ResourceInfo, obj: KObject, old: KObject): void {
  const key = storageKeyOf(info);
  if (info.subresources.status) {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
  }
  if (key === '/secrets') normalizeSecret(obj);
  if (key === '/namespaces') obj.spec = old.spec;
  // A CSR's spec is what the server recorded at creation (requestor included): an update keeps it, as kube's
  // csrStrategy.PrepareForUpdate does, so approval can trust spec.username and spec.groups.
  if (key === 'certificates.k8s.io/certificatesigningrequests') obj.spec = old.spec;
  if (key === CRD_RESOURCE) obj.status = crdStatus(obj, old);
}

/** A write to /status (or a CSR's /approval): only status changes, except the conditions the other one owns. */
export function statusUpdate(info: ResourceInfo, body: KObject, old: KObject, sub: 'status' | 'approval'): KObject {
  const next: KObject = { ...old, metadata: { ...old.metadata }, status: body.status };
  if (storageKeyOf(info) === 'certificates.k8s.io/certificatesigningrequests') {
    type Cond = { type?: string };
    const oldStatus = (old.status ?? {}) as { conditions?: Cond[]; certificate?: string };
    const newStatus = (body.status ?? {}) as { conditions?: Cond[]; certificate?: string };
    const approvalTypes = new Set(['Approved', 'Denied']);
    const keep = (oldStatus.conditions ?? []).filter((c) => (sub === 'status') === approvalTypes.has(c.type ?? ''));
    const take = (newStatus.conditions ?? []).filter((c) => (sub === 'approval') === approvalTypes.has(c.type ?? ''));
    const stamp = nowTime();
    for (const c of take as { lastTransitionTime?: string | null; lastUpdateTime?: string | null }[]) {
      c.lastTransitionTime ??= stamp;
      c.lastUpdateTime ??= stamp;
    }
    next.status = {
      ...oldStatus,
      ...(sub === 'status' ? newStatus : {}),
      ...(sub === 'approval' && oldStatus.certificate ? { certificate: oldStatus.certificate } : {}),
      conditions: [...keep, ...take],
    };
  }
  if (storageKeyOf(info) === CRD_RESOURCE) next.status = crdStatus(next, old);
  return next;
}

function normalizeSecret(obj: KObject): void {
  if (!obj.type) obj.type = 'Opaque';
  const sd = obj.stringData as Record<string, string> | undefined;
  if (sd && typeof sd === 'object') {
    const data = { ...((obj.data ?? {}) as Record<string, string>) };
    for (const [k, v] of Object.entries(sd)) setOwn(data, k, Buffer.from(String(v)).toString('base64'));
    obj.data = data;
    delete obj.stringData;
  }
}

function nowTime(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A CRD's status as the apiextensions controllers would settle it: names accepted and the CRD established
 * immediately (this server starts serving on the same write), storedVersions accumulated.
 */
function crdStatus(crd: KObject, old: KObject | undefined): Record<string, unknown> {
  const spec = crd.spec as CrdSpec;
  const oldStatus = (old?.status ?? {}) as { storedVersions?: string[]; conditions?: { type: string; lastTransitionTime?: string }[] };
  const storage = spec.versions?.find((v) => v.storage)?.name;
  const stored = [...(oldStatus.storedVersions ?? [])];
  if (storage && !stored.includes(storage)) stored.push(storage);
  const since = (t: string): string => oldStatus.conditions?.find((c) => c.type === t)?.lastTransitionTime ?? nowTime();
  const { kind, listKind, plural, singular, shortNames, categories } = spec.names;
  return {
    acceptedNames: {
      kind, listKind: listKind ?? kind + 'List', plural, singular: singular ?? kind.toLowerCase(),
      ...(shortNames ? { shortNames } : {}), ...(categories ? { categories } : {}),
    },
    conditions: [
      { type: 'NamesAccepted', status: 'True', lastTransitionTime: since('NamesAccepted'), reason: 'NoConflicts', message: 'no conflicts found' },
      { type: 'Established', status: 'True', lastTransitionTime: since('Established'), reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
    ],
    storedVersions: stored,
  };
}

/** The checks kube-apiserver makes of a CustomResourceDefinition, the ones clients trip over. */
export function validateCrd(crd: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = crd.spec as Partial<CrdSpec> | undefined;
  if (!spec || typeof spec !== 'object') return [{ type: 'FieldValueRequired', field: 'spec', detail: '' }];
  if (!spec.group) errs.push({ type: 'FieldValueRequired', field: 'spec.group', detail: '' });
  if (!spec.names?.plural) errs.push({ type: 'FieldValueRequired', field: 'spec.names.plural', detail: '' });
  if (!spec.names?.kind) errs.push({ type: 'FieldValueRequired', field: 'spec.names.kind', detail: '' });
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') errs.push({ type: 'FieldValueNotSupported', field: 'spec.scope', badValue: spec.scope, detail: 'supported values: "Cluster", "Namespaced"' });
  if (spec.group && spec.names?.plural && crd.metadata.name !== `${spec.names.plural}.${spec.group}`) {
    errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', badValue: crd.metadata.name, detail: `must be spec.names.plural+"."+spec.group` });
  }
  if (!Array.isArray(spec.versions) || spec.versions.length === 0) {
    errs.push({ type: 'FieldValueRequired', field: 'spec.versions', detail: 'must have exactly one version marked as storage version' });
    return errs;
  }
  if (spec.versions.filter((v) => v?.storage).length !== 1) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.versions', badValue: spec.versions.map((v) => v?.name), detail: 'must have exactly one version marked as storage version' });
  }
  spec.versions.forEach((v, i) => {
    if (!v?.name) errs.push({ type: 'FieldValueRequired', field: `spec.versions[${i}].name`, detail: '' });
    const schema = v?.schema?.openAPIV3Schema;
    if (!schema) errs.push({ type: 'FieldValueRequired', field: `spec.versions[${i}].schema.openAPIV3Schema`, detail: 'schemas are required' });
    else errs.push(...validateStructural(schema, `spec.versions[${i}].schema.openAPIV3Schema`));
  });
  if (errs.length === 0 && crdResources(crd).length === 0) errs.push({ type: 'FieldValueInvalid', field: 'spec.versions', badValue: '', detail: 'must serve at least one version' });
  return errs;
}
