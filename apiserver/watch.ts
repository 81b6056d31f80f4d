/**
 * Watch: a chunked stream of `{"type":...,"object":...}` lines, resumable from a resourceVersion kept in the
 * watch cache, with bookmarks, timeouts and selector transitions (an object that stops matching a selector
 * is DELETED for that watcher, one that starts matching is ADDED), as kube-apiserver serves it.
 */
import type { ServerResponse } from 'node:http';
import type { Negotiated } from './http.js';
import { sendError } from './http.js';
import { storageKeyOf } from './registry.js';
import { gvOf, keyOf, present, type ResourceRequest, type RestContext } from './handlers/scope.js';
import { jsonOf, partial, tableFor } from './handlers/response.js';
import { parseFieldSelector, parseLabelSelector, singleNameFromFieldSelector } from './selectors.js';
import { ApiError, badRequest, expired } from './status.js';
import type { KObject } from './storage/index.js';
import type { CachedEvent } from './watchcache.js';

export interface WatchOptions {
  bookmarkIntervalMs: number;
  /** Server-side watch duration when the client gives no timeoutSeconds; kube-apiserver picks 30-60 minutes. */
  defaultTimeoutSeconds?: number;
  /** Open watches register their closer here so that server shutdown ends them. */
  open: Set<() => void>;
}

/** A slow reader loses its watch (and re-lists) rather than the server buffering without bound. */
const MAX_BUFFERED = 32 * 1024 * 1024;

export async function serveWatch(ctx: RestContext, r: ResourceRequest, neg: Negotiated, opts: WatchOptions): Promise<void> {
  const q = r.query;
  const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
  const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
  const onlyName = r.name ?? singleNameFromFieldSelector(q.get('fieldSelector') ?? undefined);
  const rvParam = q.get('resourceVersion') ?? '';
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a decimal revision`);
  const timeoutParam = q.get('timeoutSeconds');
  const timeoutS = timeoutParam !== null ? Number(timeoutParam) : opts.defaultTimeoutSeconds ?? 1800 + Math.random() * 1800;
  if (!Number.isFinite(timeoutS) || timeoutS < 0) throw badRequest('timeoutSeconds: must be a non-negative integer');
  const bookmarks = q.get('allowWatchBookmarks') === 'true';
  const sendInitial = q.get('sendInitialEvents') === 'true';
  const info = r.info;
  const gv = gvOf(info);
  const namespace = info.namespaced ? r.namespace : undefined;

  const matches = (o: KObject | undefined): boolean =>
    !!o && (onlyName === undefined || o.metadata.name === onlyName) && (!labels || labels(o.metadata.labels)) && (!fields || fields(o));

  const render = (type: string, obj: KObject): string => {
    const out = present(info, obj);
    if (neg.table) return JSON.stringify({ type, object: tableFor(info, [out], { resourceVersion: out.metadata.resourceVersion }, q.get('includeObject')) });
    if (neg.partialMetadata) return JSON.stringify({ type, object: partial(out) });
    return `{"type":"${type}","object":${jsonOf(out)}}`;
  };

  const res: ServerResponse = r.res;
  let lastRV = 0;
  let closed = false;
  const write = (line: string): void => {
    if (closed) return;
    res.write(line + '\n');
    if (res.writableLength > MAX_BUFFERED) close();
  };

  const deliver = (ev: CachedEvent): void => {
    const now = matches(ev.object);
    const before = ev.type === 'MODIFIED' ? matches(ev.prev) : now;
    lastRV = ev.rv;
    if (!now && !before) return;
    if (ev.type === 'MODIFIED' && now !== before) {
      write(render(now ? 'ADDED' : 'DELETED', ev.object));
      return;
    }
    const plain = !neg.table && !neg.partialMetadata && ev.object.apiVersion === gv;
    if (plain) {
      ev.line ??= `{"type":"${ev.type}","object":${jsonOf(ev.object)}}`;
      write(ev.line);
    } else write(render(ev.type, ev.object));
  };

  // Where to start: a given revision resumes from the cache; none (or "0") starts with the current state.
  let initial: KObject[] = [];
  let fromRV: number;
  if (rvParam === '' || rvParam === '0' || sendInitial) {
    if (r.name) {
      const o = await ctx.storage.get(keyOf(info, r.namespace, r.name));
      initial = o ? [o] : [];
      fromRV = ctx.storage.currentRV();
    } else {
      const { items, rv } = await ctx.storage.list(storageKeyOf(info), namespace);
      initial = items;
      fromRV = rv;
    }
    if (rvParam !== '' && rvParam !== '0' && sendInitial) fromRV = Math.max(fromRV, Number(rvParam));
  } else fromRV = Number(rvParam);
  await waitUntilFresh(ctx, fromRV);

  const reg = ctx.watchCache.watch({ resource: storageKeyOf(info), namespace, deliver }, fromRV);
  if (!reg) {
    throw expired(`too old resource version: ${fromRV} (${ctx.watchCache.oldestRV()})`);
  }
  res.writeHead(200, {
    'Content-Type': neg.table ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  lastRV = fromRV;
  for (const o of initial) if (matches(o)) write(render('ADDED', o));
  if (sendInitial && bookmarks) {
    write(JSON.stringify({ type: 'BOOKMARK', object: { kind: info.kind, apiVersion: gv, metadata: { resourceVersion: String(fromRV), annotations: { 'k8s.io/initial-events-end': 'true' } } } }));
  }
  for (const ev of reg.replay) deliver(ev);

  const bookmark = (): void => {
    if (bookmarks) write(JSON.stringify({ type: 'BOOKMARK', object: { kind: info.kind, apiVersion: gv, metadata: { resourceVersion: String(Math.max(lastRV, ctx.storage.currentRV())) } } }));
  };
  const interval = bookmarks ? setInterval(bookmark, opts.bookmarkIntervalMs) : undefined;
  const timer = setTimeout(() => {
    bookmark();
    close();
  }, Math.min(timeoutS * 1000, MAX_TIMER_MS));

  function close(): void {
    if (closed) return;
    closed = true;
    reg!.stop();
    if (interval) clearInterval(interval);
    clearTimeout(timer);
    opts.open.delete(close);
    res.end();
  }
  opts.open.add(close);
  res.on('close', close);
}

/** setTimeout's ceiling (2^31-1 ms, about 24.8 days): a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long a request from a future revision waits for the store to catch up (the watch cache's blockTimeout). */
const FRESHNESS_WAIT_MS = 3000;

/** A revision ahead of the store: wait a little, then kube's 504 "Too large resource version". */
export async function waitUntilFresh(ctx: RestContext, rv: number): Promise<void> {
  const deadline = Date.now() + FRESHNESS_WAIT_MS;
  while (ctx.storage.currentRV() < rv) {
    if (Date.now() >= deadline) {
      throw new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${rv}, current: ${ctx.storage.currentRV()}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1,
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function watchError(res: ServerResponse, e: ApiError): void {
  sendError(res, e);
}
