/**
 * A de-duplicating, delaying, rate-limited work queue with client-go's semantics:
 *  - an item added while it waits is stored once;
 *  - an item added while it is being processed is not handed to another worker; it is queued again when
 *    the worker calls done(), so one item is never processed concurrently with itself;
 *  - addAfter() holds an item back (the earliest of several requested times wins);
 *  - addRateLimited() holds it back by the rate limiter's delay; forget() resets that item's back-off.
 */
import { defaultControllerRateLimiter, type KeyFunc, type RateLimiter } from './ratelimiter.js';

/** Hooks for queue metrics (workqueue_* in Prometheus). All times are in seconds. */
export interface QueueMetrics {
  add(): void;
  depth(n: number): void;
  queueLatency(seconds: number): void;
  workDuration(seconds: number): void;
  retry(): void;
}

const noMetrics: QueueMetrics = { add() {}, depth() {}, queueLatency() {}, workDuration() {}, retry() {} };

export interface QueueOptions<T> {
  keyOf?: KeyFunc<T>;
  rateLimiter?: RateLimiter<T>;
  metrics?: QueueMetrics;
}

export type GetResult<T> = { item: T; shutdown: false } | { item: undefined; shutdown: true };

export class RateLimitingQueue<T> {
  private readonly keyOf: KeyFunc<T>;
  private readonly rateLimiter: RateLimiter<T>;
  private readonly metrics: QueueMetrics;

  /** Keys in FIFO order, each present at most once. */
  private queue: string[] = [];
  /** Items waiting to be processed (in `queue`, or re-added while processing). */
  private readonly dirty = new Map<string, T>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly waiting = new Map<string, { readyAt: number; timer: NodeJS.Timeout }>();
  private readonly getters: ((r: GetResult<T>) => void)[] = [];
  private shuttingDown = false;
  private drainWaiters: (() => void)[] = [];

  constructor(opts: QueueOptions<T> = {}) {
    this.keyOf = opts.keyOf ?? ((item: T) => (typeof item === 'string' ? item : JSON.stringify(item)));
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.keyOf);
    this.metrics = opts.metrics ?? noMetrics;
  }

  add(item: T): void {
    if (this.shuttingDown) return;
    const key = this.keyOf(item);
    if (this.dirty.has(key)) return;
    this.metrics.add();
    this.dirty.set(key, item);
    if (!this.addedAt.has(key)) this.addedAt.set(key, performance.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the item after delayMs; a later request for the same item never postpones an earlier one. */
  addAfter(item: T, delayMs: number): void {
    if (this.shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(item);
      return;
    }
    const key = this.keyOf(item);
    const readyAt = Date.now() + delayMs;
    const existing = this.waiting.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(item);
    }, delayMs);
    this.waiting.set(key, { readyAt, timer });
  }

  addRateLimited(item: T): void {
    this.metrics.retry();
    this.addAfter(item, this.rateLimiter.when(item));
  }

  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }

  /** Waits for the next item; resolves with shutdown=true once the queue is shut down and empty. */
  get(): Promise<GetResult<T>> {
    const next = this.take();
    if (next) return Promise.resolve(next);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks an item as processed; if it was re-added meanwhile it is queued again now. */
  done(item: T): void {
    const key = this.keyOf(item);
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics.workDuration((performance.now() - started) / 1000);
    if (this.dirty.has(key)) this.push(key);
    else if (this.processing.size === 0) this.notifyDrained();
  }

  len(): number {
    return this.queue.length;
  }

  /** Items currently handed out and not yet done. */
  inFlight(): number {
    return this.processing.size;
  }

  /** Items held back by addAfter / addRateLimited. */
  delayed(): number {
    return this.waiting.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Stops accepting work: pending and delayed items are dropped, waiting getters are released.
   * In-flight items may still call done(); drained() resolves when none are left.
   */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    this.queue = [];
    this.dirty.clear();
    this.metrics.depth(0);
    for (const g of this.getters.splice(0)) g({ item: undefined, shutdown: true });
    if (this.processing.size === 0) this.notifyDrained();
  }

  /** Resolves when no item is being processed (after shutDown, when every in-flight item is done). */
  drained(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private push(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      this.queue.push(key);
      const next = this.take();
      if (next) getter(next);
      return;
    }
    this.queue.push(key);
    this.metrics.depth(this.queue.length);
  }

  private take(): GetResult<T> | undefined {
    if (this.queue.length === 0) {
      return this.shuttingDown ? { item: undefined, shutdown: true } : undefined;
    }
    const key = this.queue.shift()!;
    const item = this.dirty.get(key)!;
    this.dirty.delete(key);
    this.processing.add(key);
    const now = performance.now();
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.metrics.queueLatency((now - added) / 1000);
    this.startedAt.set(key, now);
    this.metrics.depth(this.queue.length);
    return { item, shutdown: false };
  }

  private notifyDrained(): void {
    for (const w of this.drainWaiters.splice(0)) w();
  }
}
