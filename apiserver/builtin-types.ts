/**
 * Type checks of the built-in kinds against their real schemas, the attribute maps of @kubernetes/client-node's
 * generated models (from the Kubernetes OpenAPI). kube-apiserver decodes a built-in object into its Go struct, so a
 * value of the wrong JSON type is a 400 in encoding/json's words:
 *   ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal object into Go struct field
 *   ConfigMap.data of type string
 * and `format: byte` fields (Secret.data, ConfigMap.binaryData) must be base64. Unknown fields are not this
 * module's business (they are pruned or refused per fieldValidation elsewhere).
 */
import * as models from '@kubernetes/client-node';
import { getOwn } from '../lib/safe-json.js';

interface Attr { name: string; baseName: string; type: string; format: string }
type Model = { getAttributeTypeMap(): Attr[] };

/** Storage key → the model of the stored form (events.k8s.io Events are stored as core Events). */
const MODELS: Record<string, string> = {
  '/configmaps': 'V1ConfigMap',
  '/secrets': 'V1Secret',
  '/nodes': 'V1Node',
  '/pods': 'V1Pod',
  '/namespaces': 'V1Namespace',
  '/events': 'CoreV1Event',
  '/serviceaccounts': 'V1ServiceAccount',
  '/services': 'V1Service',
  '/endpoints': 'V1Endpoints',
  'coordination.k8s.io/leases': 'V1Lease',
  'certificates.k8s.io/certificatesigningrequests': 'V1CertificateSigningRequest',
  'rbac.authorization.k8s.io/roles': 'V1Role',
  'rbac.authorization.k8s.io/clusterroles': 'V1ClusterRole',
  'rbac.authorization.k8s.io/rolebindings': 'V1RoleBinding',
  'rbac.authorization.k8s.io/clusterrolebindings': 'V1ClusterRoleBinding',
};

/** resource.Quantity fields are strings in the models, but Go's Quantity also accepts a JSON number. */
const QUANTITY_FIELDS = new Set(['capacity', 'allocatable', 'limits', 'requests', 'hard', 'used', 'overhead', 'sizeLimit', 'storage']);

function model(name: string): Model | undefined {
  const m = (models as unknown as Record<string, unknown>)[name];
  return m && typeof (m as Model).getAttributeTypeMap === 'function' ? (m as Model) : undefined;
}

const jsonKind = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'boolean' ? 'bool' : typeof v);

/** The Go type kube decodes into, as encoding/json names it. */
function goType(type: string, format: string): string {
  if (type === 'string') return format === 'byte' ? '[]uint8' : 'string';
  if (type === 'number') return format === 'int32' ? 'int32' : format === 'int64' ? 'int64' : 'float64';
  if (type === 'boolean') return 'bool';
  if (type === 'Date') return 'v1.Time';
  if (type === 'IntOrString') return 'intstr.IntOrString';
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return `[]${goType(arr[1]!, format)}`;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return `map[string]${goType(map[1]!, format)}`;
  return `v1.${type.replace(/^(Core|Events|Rbac|Certificates|Coordination)?V1/, '')}`;
}

/** Go's base64.StdEncoding: the offset of the first byte it refuses, or -1. */
export function base64Error(s: string): number {
  const clean = s.replace(/[\r\n]/g, '');
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i]!;
    if (/[A-Za-z0-9+/]/.test(c)) continue;
    if (c === '=' && i >= clean.length - 2 && /^=+$/.test(clean.slice(i)) && clean.length % 4 === 0) break;
    return i;
  }
  if (clean.length % 4 !== 0) return clean.length - (clean.length % 4);
  return -1;
}

class TypeMismatch extends Error {}

function check(v: unknown, type: string, format: string, path: string, attrName: string): void {
  if (v === null || v === undefined) return;
  const fail = (): never => {
    const found = jsonKind(v);
    throw new TypeMismatch(`json: cannot unmarshal ${found === 'number' ? `number ${String(v)}` : found} into Go struct field ${path} of type ${goType(type, format)}`);
  };
  if (type === 'any' || type === 'object') return;
  if (type === 'string') {
    if (typeof v === 'number' && QUANTITY_FIELDS.has(attrName)) return;
    if (typeof v !== 'string') fail();
    if (format === 'byte') {
      const at = base64Error(v as string);
      if (at >= 0) throw new TypeMismatch(`illegal base64 data at input byte ${at}`);
    }
    return;
  }
  if (type === 'Date') {
    if (typeof v !== 'string') fail();
    return;
  }
  if (type === 'number') {
    if (typeof v !== 'number') fail();
    if ((format === 'int32' || format === 'int64') && !Number.isInteger(v)) fail();
    if (format === 'int32' && ((v as number) > 2147483647 || (v as number) < -2147483648)) fail();
    return;
  }
  if (type === 'boolean') {
    if (typeof v !== 'boolean') fail();
    return;
  }
  if (type === 'IntOrString') {
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) fail();
    return;
  }
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) {
    if (!Array.isArray(v)) fail();
    for (const x of v as unknown[]) check(x, arr[1]!, format, path, attrName);
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof v !== 'object' || Array.isArray(v)) fail();
    for (const x of Object.values(v as object)) check(x, map[1]!, format, path, attrName);
    return;
  }
  const m = model(type);
  if (!m) return;
  if (typeof v !== 'object' || Array.isArray(v)) fail();
  for (const a of m.getAttributeTypeMap()) {
    check(getOwn(v as object, a.baseName), a.type, a.format, `${path}.${a.baseName}`, a.baseName);
  }
}

/** kube's decoding error for a built-in object with a value of the wrong type; undefined when it decodes. */
export function builtinTypeError(storageKey: string, kind: string, apiVersion: string, obj: Record<string, unknown>): string | undefined {
  const name = MODELS[storageKey];
  const m = name ? model(name) : undefined;
  if (!m) return undefined;
  try {
    for (const a of m.getAttributeTypeMap()) {
      if (a.baseName === 'metadata' || a.baseName === 'apiVersion' || a.baseName === 'kind') continue;
      check(getOwn(obj, a.baseName), a.type, a.format, `${kind}.${a.baseName}`, a.baseName);
    }
  } catch (e) {
    if (e instanceof TypeMismatch) return `${kind} in version "${apiVersion.split('/').pop()}" cannot be handled as a ${kind}: ${e.message}`;
    throw e;
  }
  return undefined;
}
