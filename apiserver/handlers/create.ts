/** POST of a new object (also the create half of a server-side apply to a missing object). */
import { randomUUID } from 'node:crypto';
import { parseObjectBody, readBody, withinDecodeLimits } from '../http.js';
import { nowRfc3339 } from '../objects.js';
import { badRequest, invalid, methodNotAllowed } from '../status.js';
import type { KObject } from '../storage/index.js';
import { prepareCreate, tracksGeneration } from '../strategy.js';
import { admit, checkNamespace, checkNamespaceUsable, checkTypeMeta, typeCheck, validateObject } from './checks.js';
import { sendWritten } from './response.js';
import { fieldValidation, fromStorageError, isDryRun, keyOf, toStored, track, type ResourceRequest, type RestContext } from './scope.js';

const RANDOM_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += RANDOM_CHARS[Math.floor(Math.random() * RANDOM_CHARS.length)];
  return s;
}

export async function createResource(ctx: RestContext, r: ResourceRequest): Promise<void> {
  if (r.subresource) throw methodNotAllowed(`POST on ${r.subresource}`);
  const body = withinDecodeLimits(parseObjectBody(r.req.headers['content-type'], await readBody(r.req)));
  fieldValidation(r.query);
  const dryRun = isDryRun(r.query);
  checkTypeMeta(r.info, body);
  const obj = toStored(r.info, body as KObject);
  const warnings: string[] = [];
  const created = await createObject(ctx, r, obj, dryRun, warnings, true);
  sendWritten(r, 201, created, warnings);
}

export async function createObject(ctx: RestContext, r: ResourceRequest, obj: KObject, dryRun: boolean, warnings: string[], trackFields: boolean): Promise<KObject> {
  typeCheck(r, obj);
  const m = obj.metadata;
  if (!m.name) {
    if (typeof m.generateName === 'string' && m.generateName) m.name = m.generateName + randomSuffix();
    else throw invalid(r.info.kind, r.info.group, '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }]);
  }
  if (typeof m.name !== 'string') throw badRequest('metadata.name: must be a string');
  checkNamespace(r, obj);
  const scoped: ResourceRequest = { ...r, name: m.name };
  await checkNamespaceUsable(ctx, scoped);
  m.uid = randomUUID();
  m.creationTimestamp = nowRfc3339();
  delete m.resourceVersion;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.selfLink;
  if (tracksGeneration(r.info)) m.generation = 1;
  else delete m.generation;
  prepareCreate(r.info, obj, r.user);
  await admit(ctx, scoped, 'CREATE', obj);
  validateObject(scoped, obj, warnings);
  if (trackFields) track(r, undefined, obj);
  if (dryRun) return obj;
  try {
    return await ctx.storage.create(keyOf(r.info, r.namespace, m.name), obj);
  } catch (e) {
    throw fromStorageError(e, r.info, m.name);
  }
}
