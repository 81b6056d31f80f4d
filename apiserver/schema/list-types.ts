/**
 * x-kubernetes-list-type set/map uniqueness, checked after value validation as apiextensions-apiserver's
 * structural/listtype package does.
 */
import { getOwn, hasOwn, setOwn } from '../../lib/safe-json.js';
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
    for (const k of Object.keys(s.properties)) if (hasOwn(o, k)) validateListTypes(getOwn(s.properties, k), getOwn(o, k), childPath(path, k), errs);
  }
  const additional = s.additionalProperties;
  if (additional && typeof additional === 'object') {
    for (const k of Object.keys(o)) if (!s.properties || !hasOwn(s.properties, k)) validateListTypes(additional, getOwn(o, k), childPath(path, k), errs);
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
      const dflt = getOwn<JSONSchemaProps>(s.items?.properties, k)?.default;
      setOwn(keyValues, k, hasOwn(item, k) ? getOwn(item, k) : dflt);
    }
    const id = canonicalJson(keys.map((k) => (getOwn(keyValues, k) === undefined ? { unspecified: true } : getOwn(keyValues, k))));
    if (seen.has(id)) {
      const shown: Record<string, unknown> = {};
      for (const k of keys) if (getOwn(keyValues, k) !== undefined) setOwn(shown, k, getOwn(keyValues, k));
      errs.push(fieldErrors.duplicate(`${path}[${i}]`, shown));
    } else {
      seen.add(id);
    }
  });
}
