/**
 * Cache lag handled in one place, as the ReplicaSet controller's ControllerExpectations do: after an owner's
 * reconcile writes (creates, deletes, or spec updates of the objects it manages), it records what the informer
 * cache must show before the owner may count again; until then the owner waits, so a lagging cache never makes it
 * create, delete or scale twice.
 *
 * Expectations live in memory only. That is enough: after a restart the cache is filled by a fresh list before any
 * reconcile runs, so it already shows every write the previous process made.
 */

/** The cache, as the expectations look at it: an object by name (in the owner's namespace), or undefined. */
export interface CacheView {
  get(name: string): { metadata: { deletionTimestamp?: string; generation?: number } } | undefined;
}

interface Pending {
  /** Names that must appear. */
  creates: Set<string>;
  /** Names that must disappear (or be marked for deletion). */
  deletes: Set<string>;
  /** Names that must show at least this generation (or be gone). */
  writes: Map<string, number>;
  deadline: number;
}

/** How long an expectation is trusted before the event is taken to be missed, as controller.ExpectationsTimeout. */
export const EXPECTATIONS_TTL_MS = 60_000;

export class Expectations {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly ttlMs = EXPECTATIONS_TTL_MS) {}

  private entry(owner: string, now: number): Pending {
    let p = this.pending.get(owner);
    if (!p) this.pending.set(owner, (p = { creates: new Set(), deletes: new Set(), writes: new Map(), deadline: 0 }));
    p.deadline = now + this.ttlMs;
    return p;
  }

  expectCreate(owner: string, name: string, now = Date.now()): void {
    this.entry(owner, now).creates.add(name);
  }

  expectDelete(owner: string, name: string, now = Date.now()): void {
    this.entry(owner, now).deletes.add(name);
  }

  /** After a write that produced `generation` of the object named `name`. */
  expectGeneration(owner: string, name: string, generation: number, now = Date.now()): void {
    const p = this.entry(owner, now);
    p.writes.set(name, Math.max(generation, p.writes.get(name) ?? 0));
  }

  /** True when the cache shows every expected write (or they timed out); observed ones are forgotten. */
  satisfied(owner: string, cache: CacheView, now = Date.now()): boolean {
    const p = this.pending.get(owner);
    if (!p) return true;
    for (const name of p.creates) if (cache.get(name)) p.creates.delete(name);
    for (const name of p.deletes) {
      const obj = cache.get(name);
      if (!obj || obj.metadata.deletionTimestamp) p.deletes.delete(name);
    }
    for (const [name, generation] of p.writes) {
      const obj = cache.get(name);
      if (!obj || (obj.metadata.generation ?? 0) >= generation) p.writes.delete(name);
    }
    if ((p.creates.size === 0 && p.deletes.size === 0 && p.writes.size === 0) || now >= p.deadline) {
      this.pending.delete(owner);
      return true;
    }
    return false;
  }

  forget(owner: string): void {
    this.pending.delete(owner);
  }
}

/** A CacheView over a list the reconciler already read from the cache. */
export function viewOf(objs: readonly { metadata: { name?: string; deletionTimestamp?: string; generation?: number } }[]): CacheView {
  const byName = new Map(objs.map((o) => [o.metadata.name ?? '', o]));
  return { get: (name) => byName.get(name) };
}
