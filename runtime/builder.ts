/**
 * The controller builder, as controller-runtime's:
 *
 *   newControllerManagedBy(mgr).for(ClusterGVK).owns(MachineGVK).watches(SecretGVK, enqueueByLabel(...)).complete(r)
 */
import { Controller, type MapFunc, type Predicate } from './controller.js';
import { enqueueForObject, enqueueForOwner } from './handlers.js';
import type { Manager } from './manager.js';
import type { RateLimiter } from './queue/ratelimiter.js';
import type { GroupVersionKind, ReconcileFunc, Reconciler, Request } from './types.js';

export interface BuilderOptions {
  maxConcurrentReconciles?: number;
  rateLimiter?: RateLimiter<Request>;
}

interface Watch {
  gvk: GroupVersionKind;
  map: MapFunc;
  predicates: Predicate[];
}

export class Builder {
  private forKind?: GroupVersionKind;
  private forPredicates: Predicate[] = [];
  private readonly owned: { gvk: GroupVersionKind; predicates: Predicate[] }[] = [];
  private readonly watched: Watch[] = [];
  private readonly globalPredicates: Predicate[] = [];
  private name?: string;
  private options: BuilderOptions = {};

  constructor(private readonly mgr: Manager) {}

  /** The kind this controller reconciles; its events enqueue the object itself. */
  for(gvk: GroupVersionKind, ...predicates: Predicate[]): this {
    if (this.forKind) throw new Error('for() may be called only once');
    this.forKind = gvk;
    this.forPredicates = predicates;
    return this;
  }

  /** A kind this controller creates; its events enqueue the controlling owner of the for() kind. */
  owns(gvk: GroupVersionKind, ...predicates: Predicate[]): this {
    this.owned.push({ gvk, predicates });
    return this;
  }

  /** Any other kind, mapped to Requests by map (see enqueueByLabel, enqueueByField). */
  watches(gvk: GroupVersionKind, map: MapFunc, ...predicates: Predicate[]): this {
    this.watched.push({ gvk, map, predicates });
    return this;
  }

  withEventFilter(p: Predicate): this {
    this.globalPredicates.push(p);
    return this;
  }

  named(name: string): this {
    this.name = name;
    return this;
  }

  withOptions(opts: BuilderOptions): this {
    this.options = { ...this.options, ...opts };
    return this;
  }

  complete(reconciler: Reconciler | ReconcileFunc): Controller {
    if (!this.forKind) throw new Error('controller builder: for() is required');
    const name = this.name ?? this.forKind.kind.toLowerCase();
    const r: Reconciler = typeof reconciler === 'function' ? { reconcile: reconciler } : reconciler;
    const cache = this.mgr.cache;
    const primary = cache.getInformer(this.forKind);
    const c = new Controller(r, {
      name,
      primary,
      maxConcurrentReconciles: this.options.maxConcurrentReconciles ?? this.mgr.options.concurrency,
      rateLimiter: this.options.rateLimiter,
      logger: this.mgr.logger,
      metrics: this.mgr.metrics,
    });
    c.watch({ informer: primary, map: enqueueForObject, predicates: [...this.globalPredicates, ...this.forPredicates] });
    for (const o of this.owned) {
      c.watch({ informer: cache.getInformer(o.gvk), map: enqueueForOwner(this.forKind), predicates: [...this.globalPredicates, ...o.predicates] });
    }
    for (const w of this.watched) {
      c.watch({ informer: cache.getInformer(w.gvk), map: w.map, predicates: [...this.globalPredicates, ...w.predicates] });
    }
    this.mgr.addController(c);
    return c;
  }
}

export function newControllerManagedBy(mgr: Manager): Builder {
  return new Builder(mgr);
}
