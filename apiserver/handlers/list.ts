/** LIST of a collection, with label and field selectors and limit/continue paging (watches live in ../watch.ts). */
import { sendJson, sendRaw, type Negotiated } from '../http.js';
import { storageKeyOf } from '../registry.js';
import { parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { badRequest } from '../status.js';
import type { KObject } from '../storage/index.js';
import { jsonOf, partial, sendTable } from './response.js';
import { gvOf, notOlderThan, present, type ResourceRequest, type RestContext } from './scope.js';

export async function listResource(ctx: RestContext, r: ResourceRequest, neg: Negotiated): Promise<void> {
  const q = r.query;
  await notOlderThan(ctx, r);
  const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
  const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
  const limit = Number(q.get('limit') ?? '0');
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`limit: Invalid value: "${q.get('limit')}": must be a non-negative integer`);
  let after: string | undefined;
  const cont = q.get('continue');
  if (cont) {
    try {
      const tok = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as { start?: unknown };
      if (typeof tok.start !== 'string') throw new Error('bad token');
      after = tok.start;
    } catch {
      throw badRequest('continue key is not valid: the continue token is malformed');
    }
  }
  const { items: all, rv } = await ctx.storage.list(storageKeyOf(r.info), r.info.namespaced ? r.namespace : undefined);
  const out: KObject[] = [];
  let next: string | undefined;
  let remaining = 0;
  for (const o of all) {
    const pos = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (after !== undefined && pos <= after) continue;
    if (labels && !labels(o.metadata.labels)) continue;
    if (fields && !fields(o)) continue;
    if (limit > 0 && out.length >= limit) {
      remaining++;
      continue;
    }
    out.push(o);
    if (limit > 0 && out.length === limit) next = pos;
  }
  const listMeta: Record<string, unknown> = { resourceVersion: String(rv) };
  if (remaining > 0 && next !== undefined) {
    listMeta.continue = Buffer.from(JSON.stringify({ rv, start: next })).toString('base64url');
    listMeta.remainingItemCount = remaining;
  }
  const items = out.map((o) => present(r.info, o));
  if (neg.table) return sendTable(r, items, listMeta);
  if (neg.partialMetadata) {
    return sendJson(r.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: items.map(partial) });
  }
  const head = `{"kind":${JSON.stringify(r.info.listKind)},"apiVersion":${JSON.stringify(gvOf(r.info))},"metadata":${JSON.stringify(listMeta)},"items":[`;
  sendRaw(r.res, 200, head + items.map(jsonOf).join(',') + ']}');
}
