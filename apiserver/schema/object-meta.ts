/**
 * The ObjectMeta rules custom resources get implicitly (labels, annotations, finalizers) and the ObjectMeta field
 * list that pruning keeps. Messages follow k8s.io/apimachinery/pkg/util/validation.
 */
import type { FieldError } from '../types.js';
import { fieldErrors } from './field-errors.js';

export const OBJECT_META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers',
  'managedFields', 'clusterName',
]);

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const TOTAL_ANNOTATION_SIZE = 256 * 1024;

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const QUALIFIED_NAME_MSG = regexError(
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]', 'MyName', 'my.name', '123-abc');
const LABEL_VALUE_MSG = regexError(
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?', 'MyValue', 'my_value', '12345');
const DNS1123_SUBDOMAIN_MSG = regexError(
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*', 'example.com');

/** IsDNS1123Subdomain: the messages for an invalid subdomain (empty when valid). */
export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) errs.push(DNS1123_SUBDOMAIN_MSG);
  return errs;
}

/** IsQualifiedName: `[prefix/]name` as label and annotation keys use. */
export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  let name: string;
  const errs: string[] = [];
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of dns1123SubdomainErrors(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [`a qualified name ${QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) errs.push(`name part ${QUALIFIED_NAME_MSG}`);
  return errs;
}

export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) errs.push(LABEL_VALUE_MSG);
  return errs;
}

/**
 * Labels, annotations and finalizers of an ObjectMeta at `path` (e.g. `metadata`); the name is checked by the
 * REST layer. Non-object metadata is reported as a type error.
 */
export function validateObjectMetaFields(meta: unknown, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  if (meta === undefined || meta === null) return errs;
  if (typeof meta !== 'object' || Array.isArray(meta)) {
    errs.push(fieldErrors.invalid(path, meta, 'must be an object'));
    return errs;
  }
  const m = meta as Record<string, unknown>;
  const labels = m.labels;
  if (labels !== undefined && labels !== null) {
    if (typeof labels !== 'object' || Array.isArray(labels)) errs.push(fieldErrors.invalid(`${path}.labels`, labels, 'must be a map of string to string'));
    else for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
      for (const msg of qualifiedNameErrors(k)) errs.push(fieldErrors.invalid(`${path}.labels`, k, msg));
      if (typeof v !== 'string') errs.push(fieldErrors.invalid(`${path}.labels`, v, 'must be a string'));
      else for (const msg of labelValueErrors(v)) errs.push(fieldErrors.invalid(`${path}.labels`, v, msg));
    }
  }
  const annotations = m.annotations;
  if (annotations !== undefined && annotations !== null) {
    if (typeof annotations !== 'object' || Array.isArray(annotations)) {
      errs.push(fieldErrors.invalid(`${path}.annotations`, annotations, 'must be a map of string to string'));
    } else {
      let total = 0;
      for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
        for (const msg of qualifiedNameErrors(k.toLowerCase())) errs.push(fieldErrors.invalid(`${path}.annotations`, k, msg));
        if (typeof v !== 'string') errs.push(fieldErrors.invalid(`${path}.annotations`, v, 'must be a string'));
        total += k.length + (typeof v === 'string' ? v.length : 0);
      }
      if (total > TOTAL_ANNOTATION_SIZE) errs.push(fieldErrors.tooLong(`${path}.annotations`, TOTAL_ANNOTATION_SIZE));
    }
  }
  const finalizers = m.finalizers;
  if (Array.isArray(finalizers)) {
    finalizers.forEach((f, i) => {
      if (typeof f !== 'string') {
        errs.push(fieldErrors.invalid(`${path}.finalizers[${i}]`, f, 'must be a string'));
        return;
      }
      for (const msg of qualifiedNameErrors(f)) errs.push(fieldErrors.invalid(`${path}.finalizers[${i}]`, f, msg));
    });
  }
  return errs;
}

/** apiVersion/kind/metadata checks of an x-kubernetes-embedded-resource object. */
export function validateEmbeddedResource(path: string, obj: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const child = (c: string): string => (path ? `${path}.${c}` : c);
  if (!('apiVersion' in obj)) errs.push(fieldErrors.required(child('apiVersion'), 'must not be empty'));
  if (!('kind' in obj)) errs.push(fieldErrors.required(child('kind'), 'must not be empty'));
  const apiVersion = obj.apiVersion;
  if (apiVersion !== undefined) {
    if (typeof apiVersion !== 'string') errs.push(fieldErrors.invalid(child('apiVersion'), apiVersion, 'must be a string'));
    else if (apiVersion.length === 0) errs.push(fieldErrors.invalid(child('apiVersion'), apiVersion, 'must not be empty'));
    else if (apiVersion.split('/').length > 2) errs.push(fieldErrors.invalid(child('apiVersion'), apiVersion, `unexpected GroupVersion string: ${apiVersion}`));
  }
  const kind = obj.kind;
  if (kind !== undefined) {
    if (typeof kind !== 'string') errs.push(fieldErrors.invalid(child('kind'), kind, 'must be a string'));
    else if (kind.length === 0) errs.push(fieldErrors.invalid(child('kind'), kind, 'must not be empty'));
  }
  if (obj.metadata !== undefined) errs.push(...validateObjectMetaFields(obj.metadata, child('metadata')));
  return errs;
}
