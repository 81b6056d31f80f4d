/**
 * Pruning of unknown fields as apiextensions-apiserver's structural pruning: objects keep only the properties their
 * schema specifies unless x-kubernetes-preserve-unknown-fields; apiVersion, kind and metadata survive at the root and
 * in embedded resources, and metadata keeps only ObjectMeta fields.
 */
import { getOwn } from '../../lib/safe-json.js';
import type { JSONSchemaProps } from '../types.js';
import { OBJECT_META_FIELDS } from './object-meta.js';

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function pruneMeta(meta: unknown, path: string, pruned: string[]): void {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return;
  const m = meta as Record<string, unknown>;
  for (const k of Object.keys(m)) {
    if (!OBJECT_META_FIELDS.has(k)) {
      delete m[k];
      pruned.push(join(path, k));
    }
  }
}

export function pruneNode(s: JSONSchemaProps | undefined, x: unknown, path: string, isResource: boolean, pruned: string[]): void {
  if (x === null || typeof x !== 'object') return;
  if (Array.isArray(x)) {
    const items = s?.items;
    for (let i = 0; i < x.length; i++) pruneNode(items, x[i], `${path}[${i}]`, false, pruned);
    return;
  }
  const o = x as Record<string, unknown>;
  const preserve = !!s?.['x-kubernetes-preserve-unknown-fields'];
  const props = s?.properties;
  const additional = s && typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  const embedded = isResource || !!s?.['x-kubernetes-embedded-resource'];
  for (const k of Object.keys(o)) {
    const child = join(path, k);
    if (embedded && (k === 'apiVersion' || k === 'kind')) continue;
    if (embedded && k === 'metadata') {
      pruneMeta(getOwn(o, k), child, pruned);
      continue;
    }
    const p = getOwn<JSONSchemaProps>(props, k);
    if (p) {
      pruneNode(p, getOwn(o, k), child, false, pruned);
    } else if (additional) {
      pruneNode(additional, getOwn(o, k), child, false, pruned);
    } else if (!preserve && s?.additionalProperties !== true) {
      delete o[k];
      pruned.push(child);
    }
  }
}
