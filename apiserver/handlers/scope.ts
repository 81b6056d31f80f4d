/**
 * The request scope every REST handler shares (kube-apiserver's handlers.RequestScope): the server's parts, the
 * request, and the helpers that turn a request into storage keys, stored objects and field-manager bookkeeping.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logging.js';
import type { UserInfo } from '../auth.js';
import { eventFromV1, eventToV1 } from '../events.js';
import type { GarbageCollector } from '../gc.js';
import type { NodeRestriction } from '../noderestriction.js';
import { managerFromUserAgent, recordUpdate, type JsonObject } from '../patch/index.js';
import { Registry, storageKeyOf } from '../registry.js';
import { alreadyExists, badRequest, conflict, notFound } from '../status.js';
import { StorageError, type KObject, type ObjectKey, type Storage } from '../storage/index.js';
import type { ResourceInfo } from '../types.js';
import { waitUntilFresh } from '../watch.js';
import type { WatchCache } from '../watchcache.js';

export interface RestContext {
  storage: Storage;
  registry: Registry;
  watchCache: WatchCache;
  gc: GarbageCollector;
  logger: Logger;
  /** The NodeRestriction admission plugin, when enabled. */
  admission?: NodeRestriction;
}

export interface ResourceRequest {
  req: IncomingMessage;
  res: ServerResponse;
  info: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  /** The authenticated user (CSRs record their requestor). */
  user?: UserInfo;
}

export const gvOf = (info: { group: string; version: string }): string => (info.group ? `${info.group}/${info.version}` : info.version);

/** A stored object as the requested version presents it (custom resources are stored at any served version). */
export function present(info: ResourceInfo, obj: KObject): KObject {
  const gv = gvOf(info);
  if (obj.apiVersion === gv) return obj;
  if (gv === 'events.k8s.io/v1') return eventToV1(obj);
  return { ...obj, apiVersion: gv };
}

/** The stored form of a request's object: events.k8s.io Events are kept as core Events. */
export function toStored(info: ResourceInfo, obj: KObject): KObject {
  return gvOf(info) === 'events.k8s.io/v1' ? eventFromV1(obj) : obj;
}

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export function keyOf(info: ResourceInfo, namespace: string | undefined, name: string): ObjectKey {
  return { resource: storageKeyOf(info), namespace: info.namespaced ? namespace ?? '' : '', name };
}

export function fromStorageError(e: unknown, info: ResourceInfo, name: string): unknown {
  if (!(e instanceof StorageError)) return e;
  if (e.reason === 'NotFound') return notFound(info.plural, info.group, name, info.kind);
  if (e.reason === 'AlreadyExists') return alreadyExists(info.plural, info.group, name, info.kind);
  return conflict(info.plural, info.group, name, e.message);
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
export function fieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation') ?? 'Warn';
  if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore') throw badRequest(`fieldValidation: invalid value "${v}": must be one of Strict, Warn, Ignore`);
  return v;
}

export function isDryRun(q: URLSearchParams): boolean {
  const d = q.getAll('dryRun');
  for (const v of d) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return d.length > 0;
}

/** The field manager of an ordinary write: ?fieldManager, else the client's User-Agent name, as kube-apiserver does. */
function updateManager(r: ResourceRequest): string {
  return r.query.get('fieldManager') || managerFromUserAgent(r.req.headers['user-agent']);
}

export function track(r: ResourceRequest, old: KObject | undefined, next: KObject, subresource?: string): void {
  recordUpdate(old as JsonObject | undefined, next as JsonObject, updateManager(r), gvOf(r.info), {
    schema: r.info.schema, subresource, hasStatusSubresource: !!r.info.subresources.status,
  });
}

export async function mustGet(ctx: RestContext, info: ResourceInfo, namespace: string | undefined, name: string): Promise<KObject> {
  const obj = await ctx.storage.get(keyOf(info, namespace, name));
  if (!obj) throw notFound(info.plural, info.group, name, info.kind);
  return obj;
}

/** ?resourceVersion=N on a get or list means "not older than N": a revision the store has not reached waits, then 504. */
export async function notOlderThan(ctx: RestContext, r: ResourceRequest): Promise<void> {
  const rv = r.query.get('resourceVersion');
  if (rv && /^\d+$/.test(rv) && Number(rv) > ctx.storage.currentRV()) await waitUntilFresh(ctx, Number(rv));
}
