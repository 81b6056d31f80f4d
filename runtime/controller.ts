/**
 * A controller: event sources map objects to Requests, a rate-limited work queue de-duplicates them, and
 * N workers call the Reconciler, never with the same Request twice at once.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Informer } from './cache/informer.js';
import { isConflict, isNotFound } from './errors.js';
import type { RuntimeMetrics } from './metrics.js';
import type { RateLimiter } from './queue/ratelimiter.js';
import { RateLimitingQueue } from './queue/workqueue.js';
import { requestKey, type KubeObject, type Reconciler, type Request, type Result } from './types.js';

/** Maps an object to the Requests it should trigger. */
export type MapFunc = (obj: KubeObject) => Request[];

/** Filters events: return false to ignore one. */
export interface Predicate {
  create?(obj: KubeObject): boolean;
  update?(oldObj: KubeObject, newObj: KubeObject): boolean;
  delete?(obj: KubeObject): boolean;
}

export interface Source {
  informer: Informer;
  map: MapFunc;
  predicates: Predicate[];
}

export interface ControllerOptions {
  name: string;
  maxConcurrentReconciles?: number;
  rateLimiter?: RateLimiter<Request>;
  logger: Logger;
  metrics: RuntimeMetrics;
  /** The informer of the reconciled kind (the builder's For): tells a deleted object from a missing other one. */
  primary?: Informer;
}

export class Controller {
  readonly name: string;
  readonly queue: RateLimitingQueue<Request>;
  readonly concurrency: number;
  private readonly sources: Source[] = [];
  private readonly log: Logger;
  private readonly metrics: RuntimeMetrics;
  private workers: Promise<void>[] = [];
  private started = false;
  private readonly abort = new AbortController();
  private readonly primary?: Informer;

  constructor(
    private readonly reconciler: Reconciler,
    opts: ControllerOptions,
  ) {
    this.name = opts.name;
    this.concurrency = opts.maxConcurrentReconciles ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new Error(`maxConcurrentReconciles: must be a positive integer, got ${String(opts.maxConcurrentReconciles)}`);
    }
    this.metrics = opts.metrics;
    this.primary = opts.primary;
    this.log = opts.logger.child({ controller: this.name });
    this.queue = new RateLimitingQueue<Request>({ keyOf: requestKey, rateLimiter: opts.rateLimiter, metrics: opts.metrics.queue(this.name) });
    opts.metrics.registerController(this.name, this.concurrency);
  }

  watch(source: Source): void {
    if (this.started) throw new Error(`controller ${this.name}: cannot add a watch after start`);
    this.sources.push(source);
  }

  /** Informers this controller reads from; the manager waits for them before starting workers. */
  informers(): Informer[] {
    return this.sources.map((s) => s.informer);
  }

  /** Connects the sources to the queue, waits for their caches, then runs the workers. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`controller ${this.name} already started`);
    this.started = true;
    for (const s of this.sources) {
      const enqueue = (obj: KubeObject): void => {
        for (const r of s.map(obj)) this.queue.add(r);
      };
      s.informer.addEventHandler({
        onAdd: (obj) => s.predicates.every((p) => p.create?.(obj) ?? true) && enqueue(obj),
        onUpdate: (o, n) => {
          if (!s.predicates.every((p) => p.update?.(o, n) ?? true)) return;
          enqueue(o);
          enqueue(n);
        },
        onDelete: (obj) => s.predicates.every((p) => p.delete?.(obj) ?? true) && enqueue(obj),
      });
    }
    const synced = await Promise.all(this.sources.map((s) => s.informer.waitForSync(signal)));
    if (synced.includes(false)) return;
    this.log.info({ workers: this.concurrency }, 'starting workers');
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.worker());
  }

  /**
   * Stops taking work and waits for in-flight reconciles up to deadlineMs; after that, their signal is
   * aborted and they are abandoned. Resolves true when everything finished in time.
   */
  async stop(deadlineMs: number): Promise<boolean> {
    this.queue.shutDown();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)));
    const finished = await Promise.race([Promise.all(this.workers).then(() => true as const), timedOut]);
    clearTimeout(timer);
    if (!finished) {
      this.log.warn({ inFlight: this.queue.inFlight() }, 'in-flight reconciles did not finish before the shutdown deadline');
      this.abort.abort();
    }
    return finished;
  }

  private async worker(): Promise<void> {
    for (;;) {
      const next = await this.queue.get();
      if (next.shutdown) return;
      try {
        await this.processOne(next.item);
      } finally {
        this.queue.done(next.item);
      }
    }
  }

  private async processOne(req: Request): Promise<void> {
    const reconcileID = randomUUID();
    const log = this.log.child({ namespace: req.namespace, name: req.name, reconcileID });
    const labels = { controller: this.name };
    this.metrics.activeWorkers.inc(labels);
    const end = this.metrics.reconcileTime.startTimer(labels);
    let result: Result;
    try {
      log.debug('reconciling');
      result = (await this.reconciler.reconcile({ namespace: req.namespace, name: req.name }, { log, reconcileID, signal: this.abort.signal })) ?? {};
    } catch (err) {
      end();
      this.metrics.activeWorkers.dec(labels);
      if (this.deletedMeanwhile(err, req)) {
        // Deleted (its last finalizer removed) while the reconcile worked from a cached copy: nothing is left to do.
        log.debug('the object is gone; done');
        this.queue.forget(req);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'success' });
        return;
      }
      this.metrics.reconcileErrors.inc(labels);
      this.metrics.reconcileTotal.inc({ ...labels, result: 'error' });
      const message = err instanceof Error ? err.message : String(err);
      // A conflict is routine (someone wrote first), and so is a NotFound for the object itself while the cache
      // still has it (its DELETE event is on the way): both are retried with back-off like any error.
      if (isConflict(err) || isNotFoundFor(err, req)) log.info({ err: message }, 'conflict or object gone; requeueing');
      else log.error({ err: message }, 'reconciler error');
      this.queue.addRateLimited(req);
      return;
    }
    end();
    this.metrics.activeWorkers.dec(labels);
    if (result.requeueAfter && result.requeueAfter > 0) {
      this.queue.forget(req);
      this.queue.addAfter(req, result.requeueAfter);
      this.metrics.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
    } else if (result.requeue) {
      this.queue.addRateLimited(req);
      this.metrics.reconcileTotal.inc({ ...labels, result: 'requeue' });
    } else {
      this.queue.forget(req);
      this.metrics.reconcileTotal.inc({ ...labels, result: 'success' });
    }
    log.debug('reconciled');
  }

  /** A NotFound for the reconciled object that the primary cache no longer holds either. */
  private deletedMeanwhile(err: unknown, req: Request): boolean {
    return this.primary !== undefined && isNotFoundFor(err, req) && this.primary.store.get(requestKey(req)) === undefined;
  }
}

/** A NotFound naming the reconciled object (the API's Status details carry its name). */
function isNotFoundFor(err: unknown, req: Request): boolean {
  return isNotFound(err) && err.details?.name === req.name;
}
