/**
 * The watch cache: a bounded, ordered history of storage events that watches resume from, and the fan-out
 * of live events to watchers. Each event's JSON is rendered once and shared by all watchers of the resource.
 */
import type { KObject, Storage, StorageEvent } from './storage/index.js';

export interface CachedEvent extends StorageEvent {
  /** `{"type":...,"object":...}` rendered once, for watchers that need the stored representation as is. */
  line?: string;
}

export interface Watcher {
  resource: string;
  namespace?: string;
  deliver(ev: CachedEvent): void;
}

export class WatchCache {
  private readonly ring: CachedEvent[] = [];
  private head = 0;
  /** Every event with rv greater than this is in the ring. */
  private compactedRV: number;
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly unsubscribe: () => void;

  constructor(storage: Storage, private readonly capacity: number) {
    this.compactedRV = storage.currentRV();
    this.unsubscribe = storage.subscribe((ev) => this.onEvent(ev));
  }

  private onEvent(ev: CachedEvent): void {
    if (this.ring.length < this.capacity) this.ring.push(ev);
    else {
      this.compactedRV = this.ring[this.head]!.rv;
      this.ring[this.head] = ev;
      this.head = (this.head + 1) % this.capacity;
    }
    const ws = this.watchers.get(ev.key.resource);
    if (!ws) return;
    for (const w of ws) {
      if (w.namespace !== undefined && w.namespace !== ev.key.namespace) continue;
      w.deliver(ev);
    }
  }

  /** The oldest revision a watch may start from. */
  oldestRV(): number {
    return this.compactedRV;
  }

  /**
   * Registers w and returns the cached events after fromRV, or undefined when they are no longer kept
   * (the caller answers 410 Expired). Registration and the replay are one step, so nothing falls in between.
   */
  watch(w: Watcher, fromRV: number): { replay: CachedEvent[]; stop: () => void } | undefined {
    if (fromRV < this.compactedRV) return undefined;
    const replay: CachedEvent[] = [];
    const n = this.ring.length;
    for (let i = 0; i < n; i++) {
      const ev = this.ring[(this.head + i) % n]!;
      if (ev.rv > fromRV && ev.key.resource === w.resource && (w.namespace === undefined || w.namespace === ev.key.namespace)) replay.push(ev);
    }
    let set = this.watchers.get(w.resource);
    if (!set) this.watchers.set(w.resource, (set = new Set()));
    set.add(w);
    return { replay, stop: () => set!.delete(w) };
  }

  watcherCount(): number {
    let n = 0;
    for (const s of this.watchers.values()) n += s.size;
    return n;
  }

  close(): void {
    this.unsubscribe();
    this.watchers.clear();
  }
}

export type { KObject };
