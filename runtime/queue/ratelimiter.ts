/**
 * Rate limiters for work queues, with client-go's semantics: `when(item)` says how long to wait before the
 * item may be processed again, `forget(item)` resets its history, `numRequeues(item)` counts its failures.
 */

export interface RateLimiter<T> {
  /** Milliseconds to wait before the item is handed out again. Calling it counts as one more failure. */
  when(item: T): number;
  forget(item: T): void;
  numRequeues(item: T): number;
}

export type KeyFunc<T> = (item: T) => string;

const defaultKey = <T>(item: T): string => (typeof item === 'string' ? item : JSON.stringify(item));

/** Per-item exponential back-off: base * 2^failures, capped at max (client-go: 5 ms to 1000 s). */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseDelayMs = 5,
    readonly maxDelayMs = 1000_000,
    private readonly keyOf: KeyFunc<T> = defaultKey,
  ) {
    if (!(baseDelayMs > 0)) throw new Error(`baseDelayMs must be positive, got ${baseDelayMs}`);
    if (!(maxDelayMs >= baseDelayMs)) throw new Error(`maxDelayMs must be at least baseDelayMs, got ${maxDelayMs}`);
  }

  when(item: T): number {
    const key = this.keyOf(item);
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long before it matters; the cap keeps the result finite.
    return Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs);
  }

  forget(item: T): void {
    this.failures.delete(this.keyOf(item));
  }

  numRequeues(item: T): number {
    return this.failures.get(this.keyOf(item)) ?? 0;
  }
}

/**
 * An overall token bucket shared by every item (client-go: 10 qps, burst 100), so that a storm of failures
 * cannot hammer the API server even while each item's own back-off is still short.
 */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps = 10,
    readonly burst = 100,
    private readonly now: () => number = Date.now,
  ) {
    if (!(qps > 0)) throw new Error(`qps must be positive, got ${qps}`);
    if (!(burst >= 1)) throw new Error(`burst must be at least 1, got ${burst}`);
    this.tokens = burst;
    this.last = now();
  }

  /** Reserves one token and returns how long until it is available (tokens may go negative: a reservation). */
  when(_item: T): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** The worst (longest) of several limiters: what client-go's DefaultControllerRateLimiter builds. */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  private readonly limiters: RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.limiters = limiters;
  }

  when(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/** client-go's DefaultTypedControllerRateLimiter: per-item 5 ms → 1000 s, overall 10 qps with a burst of 100. */
export function defaultControllerRateLimiter<T>(keyOf?: KeyFunc<T>): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(new ItemExponentialFailureRateLimiter<T>(5, 1000_000, keyOf), new BucketRateLimiter<T>(10, 100));
}
