/**
 * An Event recorder writing core/v1 Events (what `kubectl describe` shows). Repeats of the same
 * (object, type, reason, message) are aggregated: the existing Event's count and lastTimestamp are
 * patched instead of creating a new one. Recording is best effort: failures are logged, never thrown.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Client } from './client.js';
import { isNotFound } from './errors.js';
import type { KubeObject } from './types.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
}

const EVENT_GVK = { apiVersion: 'v1', kind: 'Event' };
const MAX_CACHED = 4096;
const MAX_MESSAGE = 1024;

export class Recorder implements EventRecorder {
  private readonly seen = new Map<string, Seen>();
  /** Serialises writes per aggregation key, so a burst of repeats counts correctly. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly client: Client,
    readonly component: string,
    private readonly log: Logger,
    private readonly host = '',
  ) {}

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const m = obj.metadata;
    const namespace = m.namespace || 'default';
    const msg = message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE - 3) + '...' : message;
    const key = [m.uid ?? '', obj.kind, namespace, m.name, type, reason, msg].join('\x00');
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.write(key, obj, namespace, type, reason, msg)).catch((err: unknown) => {
      this.log.warn({ err: err instanceof Error ? err.message : String(err), reason }, 'could not record event');
    });
    this.chains.set(key, next);
    this.pending.add(next);
    void next.finally(() => {
      this.pending.delete(next);
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /** Waits for events being written (used at shutdown and in tests). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async write(key: string, obj: KubeObject, namespace: string, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const seen = this.seen.get(key);
    if (seen) {
      try {
        await this.client.patch({ ...EVENT_GVK, metadata: { name: seen.name, namespace: seen.namespace } }, { count: seen.count + 1, lastTimestamp: now });
        seen.count++;
        // Keep recently used keys at the end, so the oldest are dropped first.
        this.seen.delete(key);
        this.seen.set(key, seen);
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.seen.delete(key); // expired (events have a TTL): start a new one
      }
    }
    const name = `${obj.metadata.name ?? 'unknown'}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`;
    await this.client.create({
      ...EVENT_GVK,
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      reportingComponent: this.component,
      reportingInstance: this.host || this.component,
    });
    this.seen.set(key, { name, namespace, count: 1 });
    if (this.seen.size > MAX_CACHED) this.seen.delete(this.seen.keys().next().value!);
  }
}
