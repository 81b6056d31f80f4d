/** GET of one object, or of its status or scale subresource. */
import { EXTRA_SUBRESOURCES } from '../builtins.js';
import { sendJson, sendRaw, type Negotiated } from '../http.js';
import { storageKeyOf } from '../registry.js';
import { notFound } from '../status.js';
import { jsonOf, partial, sendTable } from './response.js';
import { toScale } from './scale.js';
import { mustGet, notOlderThan, present, type ResourceRequest, type RestContext } from './scope.js';

export async function getResource(ctx: RestContext, r: ResourceRequest, neg: Negotiated): Promise<void> {
  await notOlderThan(ctx, r);
  const obj = await mustGet(ctx, r.info, r.namespace, r.name!);
  if (r.subresource === 'scale') return sendJson(r.res, 200, toScale(r.info, obj));
  if (r.subresource && r.subresource !== 'status' && !(EXTRA_SUBRESOURCES[storageKeyOf(r.info)] ?? []).includes(r.subresource)) throw notFound(r.info.plural, r.info.group, r.name!);
  const out = present(r.info, obj);
  if (neg.table) return sendTable(r, [out], { resourceVersion: obj.metadata.resourceVersion });
  if (neg.partialMetadata) return sendJson(r.res, 200, partial(out));
  sendRaw(r.res, 200, jsonOf(out));
}
