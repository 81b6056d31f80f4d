/**
 * Structural defaulting as apiextensions-apiserver's structuraldefaulting.Default: a property's default applies when
 * the property is missing (or null and not nullable) and its parent object exists; defaults of nested schemas then
 * apply inside the defaulted value too. Non-nullable nulls without a default are dropped afterwards.
 */
import { getOwn, hasOwn, setOwn } from '../../lib/safe-json.js';
import type { JSONSchemaProps } from '../types.js';

function copyJson<T>(v: T): T {
  return v === null || typeof v !== 'object' ? v : (structuredClone(v) as T);
}

function isNonNullableNull(v: unknown, s: JSONSchemaProps | undefined): boolean {
  return v === null && !!s && !s.nullable && s.default !== undefined;
}

export function applyDefaultsNode(s: JSONSchemaProps | undefined, x: unknown): void {
  if (!s || x === null || typeof x !== 'object') return;
  if (Array.isArray(x)) {
    const items = s.items;
    if (!items) return;
    for (let i = 0; i < x.length; i++) {
      if (isNonNullableNull(x[i], items)) x[i] = copyJson(items.default);
      applyDefaultsNode(items, x[i]);
    }
    return;
  }
  const o = x as Record<string, unknown>;
  const props = s.properties;
  if (props) {
    for (const k of Object.keys(props)) {
      const p = props[k];
      if (p.default === undefined) continue;
      if (!hasOwn(o, k) || isNonNullableNull(getOwn(o, k), p)) setOwn(o, k, copyJson(p.default));
    }
  }
  const additional = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  for (const k of Object.keys(o)) {
    const p = getOwn<JSONSchemaProps>(props, k);
    if (p) {
      applyDefaultsNode(p, getOwn(o, k));
    } else if (additional) {
      if (isNonNullableNull(getOwn(o, k), additional)) setOwn(o, k, copyJson(additional.default));
      applyDefaultsNode(additional, getOwn(o, k));
    }
  }
}

/** PruneNonNullableNullsWithoutDefaults: `field: null` for a non-nullable field means "unset". */
export function pruneNonNullableNulls(s: JSONSchemaProps | undefined, x: unknown): void {
  if (!s || x === null || typeof x !== 'object') return;
  if (Array.isArray(x)) {
    if (s.items) for (const v of x) pruneNonNullableNulls(s.items, v);
    return;
  }
  const o = x as Record<string, unknown>;
  const props = s.properties;
  const additional = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  for (const k of Object.keys(o)) {
    const p = getOwn<JSONSchemaProps>(props, k) ?? additional;
    if (!p) continue;
    if (getOwn(o, k) === null && !p.nullable && p.default === undefined) delete o[k];
    else pruneNonNullableNulls(p, getOwn(o, k));
  }
}
