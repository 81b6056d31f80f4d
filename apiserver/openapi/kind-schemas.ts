/**
 * Per-kind definitions: a CRD's openAPIV3Schema (with apiVersion/kind/metadata filled in as kube-apiserver does) or a
 * loose object for built-in kinds, plus the List kind.
 */
import type { JSONSchemaProps, ResourceInfo } from '../types.js';
import { DESCRIPTIONS, LIST_META, OBJECT_META } from './meta-definitions.js';

type Schema = Record<string, unknown>;
export type Flavour = 'v2' | 'v3';

const BUILTIN_PREFIX: Record<string, string> = {
  '': 'io.k8s.api.core',
  'coordination.k8s.io': 'io.k8s.api.coordination',
  'certificates.k8s.io': 'io.k8s.api.certificates',
  'rbac.authorization.k8s.io': 'io.k8s.api.rbac',
  'events.k8s.io': 'io.k8s.api.events',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
};

/** kube's definition names: `io.k8s.api.core.v1.ConfigMap`, `dev.clusterd.v1alpha1.Cluster` for CRDs. */
export function definitionName(r: ResourceInfo, kind = r.kind): string {
  if (!r.custom) {
    const prefix = BUILTIN_PREFIX[r.group] ?? `io.k8s.api.${r.group.split('.')[0]}`;
    return `${prefix}.${r.version}.${kind}`;
  }
  return `${r.group.split('.').reverse().join('.')}.${r.version}.${kind}`;
}

export function refTo(flavour: Flavour, name: string): Schema {
  return { $ref: flavour === 'v2' ? `#/definitions/${name}` : `#/components/schemas/${name}` };
}

/** A reference carrying its own description: v3 wraps it in allOf, v2 puts siblings next to $ref (as kube does). */
function describedRef(flavour: Flavour, name: string, description: string): Schema {
  return flavour === 'v3' ? { allOf: [refTo(flavour, name)], default: {}, description } : { ...refTo(flavour, name), description };
}

export function gvk(r: ResourceInfo, kind = r.kind): Schema {
  return { group: r.group, kind, version: r.version };
}

/** OpenAPI v2 cannot say nullable, anyOf/oneOf/not or int-or-string types: kube drops them there. */
function toV2(s: JSONSchemaProps): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'nullable' || k === 'anyOf' || k === 'oneOf' || k === 'not' || k === 'allOf' || k === 'x-kubernetes-validations') continue;
    if (k === 'properties' && v) out.properties = Object.fromEntries(Object.entries(v as Record<string, JSONSchemaProps>).map(([pk, pv]) => [pk, toV2(pv)]));
    else if ((k === 'items' || k === 'additionalProperties') && typeof v === 'object' && v) out[k] = toV2(v as JSONSchemaProps);
    else out[k] = v;
  }
  if (s['x-kubernetes-int-or-string']) delete out.type;
  // As kube-apiserver publishes v2: a node that keeps unknown fields loses its properties there, or kubectl's
  // client-side validation (the only kind before 1.25) would reject every field the schema does not list.
  if (s['x-kubernetes-preserve-unknown-fields'] === true) {
    delete out.properties;
    delete out.required;
  }
  return out;
}

function objectSchema(r: ResourceInfo, flavour: Flavour): Schema {
  if (r.custom && r.schema) {
    const base = flavour === 'v2' ? toV2(r.schema) : (structuredClone(r.schema) as Schema);
    const props = { ...((base.properties as Record<string, Schema> | undefined) ?? {}) };
    props.apiVersion = { ...props.apiVersion, type: 'string', description: (props.apiVersion?.description as string | undefined) ?? DESCRIPTIONS.apiVersion };
    props.kind = { ...props.kind, type: 'string', description: (props.kind?.description as string | undefined) ?? DESCRIPTIONS.kind };
    props.metadata = describedRef(flavour, OBJECT_META, DESCRIPTIONS.metadata);
    return { ...base, type: 'object', properties: props, 'x-kubernetes-group-version-kind': [gvk(r)] };
  }
  return {
    type: 'object',
    description: `${r.kind} (${r.group ? `${r.group}/` : ''}${r.version}).`,
    // Loose: v2 has no properties at all (see toV2), so kubectl's client-side validation accepts any field.
    ...(flavour === 'v3' ? { properties: {
      apiVersion: { type: 'string', description: DESCRIPTIONS.apiVersion },
      kind: { type: 'string', description: DESCRIPTIONS.kind },
      metadata: describedRef(flavour, OBJECT_META, DESCRIPTIONS.metadata),
    } } : {}),
    'x-kubernetes-preserve-unknown-fields': true,
    // In v3 the built-in kinds carry no GVK on their (loose) schema: kubectl would otherwise compute strategic
    // merge patches from it and warn about every unknown field; without it, kubectl uses its compiled-in types.
    ...(flavour === 'v2' ? { 'x-kubernetes-group-version-kind': [gvk(r)] } : {}),
  };
}

function listSchema(r: ResourceInfo, flavour: Flavour): Schema {
  return {
    type: 'object',
    description: `${r.listKind} is a list of ${r.kind}`,
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: DESCRIPTIONS.apiVersion },
      items: { type: 'array', description: `List of ${r.plural}.`, items: refTo(flavour, definitionName(r)) },
      kind: { type: 'string', description: DESCRIPTIONS.kind },
      metadata: describedRef(flavour, LIST_META, DESCRIPTIONS.listMetadata),
    },
    'x-kubernetes-group-version-kind': [gvk(r, r.listKind)],
  };
}

export function kindDefinitions(r: ResourceInfo, flavour: Flavour): Record<string, Schema> {
  return {
    [definitionName(r)]: objectSchema(r, flavour),
    [definitionName(r, r.listKind)]: listSchema(r, flavour),
  };
}
