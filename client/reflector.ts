/**
 * The one list+watch loop of every informer in clusterd (client-go's Reflector): list (in pages when asked), watch
 * from the list's resourceVersion with bookmarks, resume from the last seen revision when a stream ends, re-list at
 * once on 410 Gone, and back off on any other error. What it sees goes to a sink (a cache, an indexed store).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, isGone } from './errors.js';
import type { RestClient } from './rest-client.js';

/** The part of an object a reflector reads. */
export interface ReflectedObject {
  metadata: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface ReflectorSink<T> {
  /** The complete current set, after each (re)list. */
  replace(items: T[]): void;
  upsert(obj: T): void;
  remove(obj: T): void;
}

export interface ReflectorOptions {
  /** List in pages of this many objects (one GET when unset). */
  pageSize?: number;
  /** Each watch asks the server to end it after this long (client-go spreads watches over API servers this way). */
  watchTimeoutSeconds?: () => number;
  /** A failed list or watch, before the back-off. */
  onError?(err: unknown, retryInMs: number): void;
  maxBackoffMs?: number;
}

interface ListPage<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

export class Reflector<T extends ReflectedObject> {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;

  constructor(
    private readonly client: RestClient,
    /** The collection's path, or how to find it (the dynamic client resolves kinds through discovery). */
    private readonly path: string | (() => Promise<string>),
    private readonly sink: ReflectorSink<T>,
    private readonly opts: ReflectorOptions = {},
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the watch; resolves when the loop has stopped. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 200;
    let rv: string | undefined;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const path = typeof this.path === 'string' ? this.path : await this.path();
        if (rv === undefined) rv = await this.list(path);
        if (signal.aborted) return;
        let last = rv;
        await this.client.watchStream<T>(path, rv, (ev) => {
          if (signal.aborted) return;
          if (ev.type === 'ERROR') {
            const status = ev.object as unknown as { code?: number; reason?: string; message?: string };
            throw new ApiError(status.code ?? 500, status.reason ?? 'Unknown', `WATCH ${path}: ${status.message ?? JSON.stringify(status)}`);
          }
          if (ev.object.metadata?.resourceVersion) last = ev.object.metadata.resourceVersion;
          if (ev.type === 'DELETED') this.sink.remove(ev.object);
          else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.sink.upsert(ev.object);
        }, signal, { timeoutSeconds: this.opts.watchTimeoutSeconds?.() });
        rv = last;
        backoff = 200;
      } catch (err) {
        if (signal.aborted) return;
        rv = undefined; // 410 Gone or a broken connection: start over from a fresh list
        if (isGone(err)) continue;
        this.opts.onError?.(err, backoff);
        await sleep(backoff, undefined, { signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, this.opts.maxBackoffMs ?? 5000);
      }
    }
  }

  private async list(path: string): Promise<string> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const q = new URLSearchParams();
      if (this.opts.pageSize) q.set('limit', String(this.opts.pageSize));
      if (cont) q.set('continue', cont);
      const qs = q.toString();
      const page = await this.client.get<ListPage<T>>(qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path);
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? '';
    } while (cont);
    if (!this.abort.signal.aborted) this.sink.replace(items);
    return rv;
  }
}
