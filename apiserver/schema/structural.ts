/**
 * A pragmatic port of apiextensions-apiserver's structural-schema checks (ValidateStructural plus the CRD
 * validation rules that reject schemas the pruner and defaulter cannot work with). Errors are sorted by text, as there.
 */
import type { FieldError, JSONSchemaProps } from '../types.js';
import { fieldErrors, formatFieldError } from './field-errors.js';
import { compilePattern } from './pattern.js';

type Level = 'root' | 'item' | 'field';

const prop = (path: string, key: string): string => `${path}.properties[${key}]`;

function checkNode(s: JSONSchemaProps, lvl: Level, path: string, errs: FieldError[]): void {
  if (s.type === 'array' && !s.items) errs.push(fieldErrors.required(`${path}.items`, 'must be specified'));
  if (s.items) checkNode(s.items, 'item', `${path}.items`, errs);
  if (s.properties) for (const [k, v] of Object.entries(s.properties)) checkNode(v, 'field', prop(path, k), errs);
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
    if (lvl === 'root') errs.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'must not be used at the root'));
    if (typeof s.additionalProperties === 'object') checkNode(s.additionalProperties, 'field', `${path}.additionalProperties`, errs);
  }
  if (s.properties && s.additionalProperties !== undefined) {
    errs.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
  const intOrString = !!s['x-kubernetes-int-or-string'];
  const preserve = !!s['x-kubernetes-preserve-unknown-fields'];
  const embedded = !!s['x-kubernetes-embedded-resource'];
  if (intOrString && s['x-kubernetes-preserve-unknown-fields'] !== undefined && preserve) {
    errs.push(fieldErrors.invalid(`${path}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
  }
  if (intOrString && embedded) {
    errs.push(fieldErrors.invalid(`${path}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    errs.push(fieldErrors.invalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  }
  for (const j of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[j];
    if (!list) continue;
    // The int-or-string spelling `anyOf: [{type: integer}, {type: string}]` (also as allOf[0]) is structural.
    if (j === 'anyOf' && intOrString) continue;
    list.forEach((sub, i) => checkNested(sub, j === 'allOf' && i === 0 && intOrString, `${path}.${j}[${i}]`, errs));
  }
  if (s.not) checkNested(s.not, false, `${path}.not`, errs);
  if (s.pattern !== undefined) {
    const re = compilePattern(s.pattern);
    if (re instanceof Error) errs.push(fieldErrors.invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${re.message}`));
  }
  if (s.uniqueItems) {
    errs.push(fieldErrors.forbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  }
  if (s['x-kubernetes-list-type'] === 'map' && !(s['x-kubernetes-list-map-keys']?.length)) {
    errs.push(fieldErrors.required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
  }
  if (embedded && s.type !== 'object') {
    if (!s.type) errs.push(fieldErrors.required(`${path}.type`, 'must be object if x-kubernetes-embedded-resource is true'));
    else errs.push(fieldErrors.invalid(`${path}.type`, s.type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (!s.type && !intOrString && !preserve) {
    const detail = lvl === 'root' ? 'must not be empty at the root'
      : lvl === 'item' ? 'must not be empty for specified array items' : 'must not be empty for specified object fields';
    errs.push(fieldErrors.required(`${path}.type`, detail));
  }
  if (embedded && s.additionalProperties !== undefined) {
    errs.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
  }
  if (lvl === 'root' && s.type && s.type !== 'object') errs.push(fieldErrors.invalid(`${path}.type`, s.type, 'must be object at the root'));
  const checkMetadata = lvl === 'root' || embedded;
  const props = s.properties ?? {};
  if (checkMetadata && props.kind && props.kind.type !== 'string') {
    errs.push(fieldErrors.invalid(`${prop(path, 'kind')}.type`, props.kind.type ?? '', 'must be string'));
  }
  if (checkMetadata && props.apiVersion && props.apiVersion.type !== 'string') {
    errs.push(fieldErrors.invalid(`${prop(path, 'apiVersion')}.type`, props.apiVersion.type ?? '', 'must be string'));
  }
  if (checkMetadata && props.metadata && props.metadata.type !== 'object') {
    errs.push(fieldErrors.invalid(`${prop(path, 'metadata')}.type`, props.metadata.type ?? '', 'must be object'));
  }
  if (lvl === 'root' && props.metadata) {
    const extra = Object.keys(props.metadata.properties ?? {}).filter((k) => k !== 'name' && k !== 'generateName');
    if (extra.length || props.metadata.additionalProperties !== undefined || props.metadata.required?.length) {
      errs.push(fieldErrors.forbidden(prop(path, 'metadata'), 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
  }
  if (embedded && !preserve && Object.keys(props).length === 0) {
    errs.push(fieldErrors.required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
}

/** Inside allOf/anyOf/oneOf/not only value validations may appear. */
function checkNested(s: JSONSchemaProps, skipAnyOf: boolean, path: string, errs: FieldError[]): void {
  if (s.type) errs.push(fieldErrors.forbidden(`${path}.type`, 'must be empty to be structural'));
  if (s.additionalProperties !== undefined) errs.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'must be undefined to be structural'));
  if (s.default !== undefined) errs.push(fieldErrors.forbidden(`${path}.default`, 'must be undefined to be structural'));
  if (s.description) errs.push(fieldErrors.forbidden(`${path}.description`, 'must be empty to be structural'));
  if (s.nullable) errs.push(fieldErrors.forbidden(`${path}.nullable`, 'must be false to be structural'));
  if (s['x-kubernetes-preserve-unknown-fields']) errs.push(fieldErrors.forbidden(`${path}.x-kubernetes-preserve-unknown-fields`, 'must be false to be structural'));
  if (s['x-kubernetes-embedded-resource']) errs.push(fieldErrors.forbidden(`${path}.x-kubernetes-embedded-resource`, 'must be false to be structural'));
  if (s['x-kubernetes-int-or-string']) errs.push(fieldErrors.forbidden(`${path}.x-kubernetes-int-or-string`, 'must be false to be structural'));
  if (s['x-kubernetes-list-map-keys']?.length) errs.push(fieldErrors.forbidden(`${path}.x-kubernetes-list-map-keys`, 'must be empty to be structural'));
  if (s['x-kubernetes-list-type']) errs.push(fieldErrors.forbidden(`${path}.x-kubernetes-list-type`, 'must be undefined to be structural'));
  if (s.properties?.metadata) errs.push(fieldErrors.forbidden(prop(path, 'metadata'), 'must not be specified in a nested context'));
  if (s.items) checkNested(s.items, false, `${path}.items`, errs);
  if (s.properties) for (const [k, v] of Object.entries(s.properties)) checkNested(v, false, prop(path, k), errs);
  if (!skipAnyOf) s.anyOf?.forEach((sub, i) => checkNested(sub, false, `${path}.anyOf[${i}]`, errs));
  s.allOf?.forEach((sub, i) => checkNested(sub, false, `${path}.allOf[${i}]`, errs));
  s.oneOf?.forEach((sub, i) => checkNested(sub, false, `${path}.oneOf[${i}]`, errs));
  if (s.not) checkNested(s.not, false, `${path}.not`, errs);
}

export function validateStructuralSchema(schema: JSONSchemaProps, fieldPrefix: string): FieldError[] {
  const errs: FieldError[] = [];
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    return [fieldErrors.required(fieldPrefix, 'must be an object')];
  }
  checkNode(schema, 'root', fieldPrefix, errs);
  const texts = new Map(errs.map((e) => [e, formatFieldError(e)] as const));
  return errs.sort((a, b) => ((texts.get(a) ?? '') < (texts.get(b) ?? '') ? -1 : 1));
}
