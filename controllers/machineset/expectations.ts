/**
 * Expectations, as the ReplicaSet controller keeps them, but by name: after creating or deleting Machines a
 * MachineSet waits until its informer cache shows those writes before it counts Machines again, so a lagging
 * cache never makes it create or delete twice.
 *
 * They live in memory only. That is enough: after a restart the cache is filled by a fresh list before any
 * reconcile runs, so it already shows every write the previous process made.
 */

export interface CacheView {
  /** The object by name as the cache has it, or undefined. */
  get(name: string): { metadata: { deletionTimestamp?: string } } | undefined;
}

interface Pending {
  creates: Set<string>;
  deletes: Set<string>;
  deadline: number;
}

/** How long to trust an expectation before assuming the event was missed, as controller.ExpectationsTimeout. */
export const EXPECTATIONS_TTL_MS = 60_000;

export class NameExpectations {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly ttlMs = EXPECTATIONS_TTL_MS) {}

  private entry(key: string, now: number): Pending {
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { creates: new Set(), deletes: new Set(), deadline: now + this.ttlMs }));
    p.deadline = now + this.ttlMs;
    return p;
  }

  expectCreate(key: string, name: string, now = Date.now()): void {
    this.entry(key, now).creates.add(name);
  }

  expectDelete(key: string, name: string, now = Date.now()): void {
    this.entry(key, now).deletes.add(name);
  }

  /** True when the cache shows every expected write (or they timed out); observed ones are forgotten. */
  satisfied(key: string, cache: CacheView, now = Date.now()): boolean {
    const p = this.pending.get(key);
    if (!p) return true;
    for (const name of p.creates) if (cache.get(name)) p.creates.delete(name);
    for (const name of p.deletes) {
      const obj = cache.get(name);
      if (!obj || obj.metadata.deletionTimestamp) p.deletes.delete(name);
    }
    if ((p.creates.size === 0 && p.deletes.size === 0) || now >= p.deadline) {
      this.pending.delete(key);
      return true;
    }
    return false;
  }

  forget(key: string): void {
    this.pending.delete(key);
  }
}
