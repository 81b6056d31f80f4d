/**
 * x-kubernetes-list-type set/map uniqueness, checked after value validation as apiextensions-apiserver's
 * structural/listtype package does.
 */
import type { FieldError, JSONSchemaProps } from '../types.js';
import { fieldErrors } from './field-errors.js';
import { canonicalJson, childPath } from './validate.js';

export function validateListTypes(s: JSONSchemaProps | undefined, value: unknown, path: string, errs: FieldError[]): void {
  if (!s || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'set') checkSet(value, path, errs);
    else if (listType === 'map') checkMap(s, value, path, errs);
    if (s.items) for (let i = 0; i < value.length; i++) validateListTypes(s.items, value[i], `${path}[${i}]`, errs);
    return;
  }
  const o = value as Record<string, unknown>;
  if (s.properties) {
    for (const k of Object.keys(s.properties)) if (k in o) validateListTypes(s.properties[k], o[k], childPath(path, k), errs);
  }
  const additional = s.additionalProperties;
  if (additional && typeof additional === 'object') {
    for (const k of Object.keys(o)) if (!s.properties || !(k in s.properties)) validateListTypes(additional, o[k], childPath(path, k), errs);
  }
}

function checkSet(list: unknown[], path: string, errs: FieldError[]): void {
  const seen = new Set<string>();
  list.forEach((v, i) => {
    const key = canonicalJson(v);
    if (seen.has(key)) errs.push(fieldErrors.duplicate(`${path}[${i}]`, v));
    else seen.add(key);
  });
}

function checkMap(s: JSONSchemaProps, list: unknown[], path: string, errs: FieldError[]): void {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x !== null && (typeof x !== 'object' || Array.isArray(x))) {
      errs.push(fieldErrors.invalid(`${path}[${i}]`, x, 'must be an object for an array of list-type map'));
      return;
    }
  }
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  if (list.length <= 1 || keys.length === 0) return;
  const seen = new Set<string>();
  list.forEach((x, i) => {
    if (x === null) return;
    const item = x as Record<string, unknown>;
    const keyValues: Record<string, unknown> = {};
    for (const k of keys) {
      const dflt = s.items?.properties?.[k]?.default;
      keyValues[k] = k in item ? item[k] : dflt;
    }
    const id = canonicalJson(keys.map((k) => (keyValues[k] === undefined ? { unspecified: true } : keyValues[k])));
    if (seen.has(id)) {
      const shown: Record<string, unknown> = {};
      for (const k of keys) if (keyValues[k] !== undefined) shown[k] = keyValues[k];
      errs.push(fieldErrors.duplicate(`${path}[${i}]`, shown));
    } else {
      seen.add(id);
    }
  });
}
