/** How the REST handlers write their answers: cached JSON of stored objects, metadata-only forms and Tables. */
import { sendJson, sendRaw } from '../http.js';
import type { KObject } from '../storage/index.js';
import { toTable } from '../table/index.js';
import type { ResourceInfo } from '../types.js';
import { present, type ResourceRequest } from './scope.js';

const jsonCache = new WeakMap<object, string>();
/** JSON of a stored (immutable) object, rendered once. */
export function jsonOf(obj: object): string {
  let s = jsonCache.get(obj);
  if (s === undefined) {
    s = JSON.stringify(obj);
    jsonCache.set(obj, s);
  }
  return s;
}

export function partial(o: KObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** A Table of objects, with rows carrying the object, its metadata or nothing, per ?includeObject. */
export function tableFor(info: ResourceInfo, items: KObject[], listMeta: Record<string, unknown>, includeObject: string | null): Record<string, unknown> {
  const table = toTable(info, items, listMeta);
  const mode = includeObject ?? 'Metadata';
  const rows = (table.rows as { object?: unknown }[] | undefined) ?? [];
  rows.forEach((row, i) => {
    if (mode === 'None') delete row.object;
    else if (mode === 'Metadata') row.object = partial(items[i]!);
    else row.object = items[i];
  });
  return table;
}

export function sendTable(r: ResourceRequest, items: KObject[], listMeta: Record<string, unknown>): void {
  const table = tableFor(r.info, items, listMeta, r.query.get('includeObject'));
  sendJson(r.res, 200, table, 'application/json;as=Table;v=v1;g=meta.k8s.io');
}

/** A written object, with the warnings the write collected (unknown fields under fieldValidation=Warn). */
export function sendWritten(r: ResourceRequest, code: number, obj: KObject, warnings: string[]): void {
  if (warnings.length) r.res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  sendRaw(r.res, code, jsonOf(present(r.info, obj)));
}
