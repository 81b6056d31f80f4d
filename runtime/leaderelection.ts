/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package: a candidate
 * takes the lease when its holder has not renewed it for leaseDuration (measured on the candidate's own
 * clock from when it last saw the record change, so clocks need not agree), renews it every retryPeriod,
 * and gives up leadership when it could not renew for renewDeadline. Release clears holderIdentity so a
 * successor need not wait for expiry.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Client } from './client.js';
import { isNotFound } from './errors.js';
import type { KubeObject } from './types.js';
import { Sleeper } from './sleeper.js';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export const LEASE_GVK = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export const microTime = (d: Date = new Date()): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

const JITTER = 1.2;

export class LeaderElector {
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  private observedRV?: string;
  private observedAt = 0;
  private leading = false;
  private stopped = false;
  private readonly sleeper = new Sleeper();
  private loop?: Promise<void>;
  private lastLeader?: string;

  constructor(
    private readonly client: Client,
    readonly config: LeaderElectionConfig,
    private readonly callbacks: LeaderCallbacks,
    private readonly log: Logger,
  ) {
    this.identity = config.identity ?? `${hostname()}_${randomBytes(8).toString('hex')}`;
    this.leaseDurationMs = config.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = config.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = config.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) throw new Error('leaseDuration must be greater than renewDeadline');
    if (!(this.renewDeadlineMs > JITTER * this.retryPeriodMs)) throw new Error('renewDeadline must be greater than retryPeriod*1.2');
  }

  isLeader(): boolean {
    return this.leading;
  }

  run(): void {
    this.loop ??= this.runLoop();
  }

  /** Stops campaigning; if leading, releases the lease (holderIdentity cleared) so a successor takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    await this.loop;
    if (this.leading) {
      await this.release();
      this.leading = false;
    }
  }

  private async runLoop(): Promise<void> {
    // Acquire.
    while (!this.stopped && !this.leading) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        this.log.info({ lease: `${this.config.namespace}/${this.config.name}`, identity: this.identity }, 'acquired leader lease');
        this.callbacks.onStartedLeading();
        break;
      }
      await this.sleeper.sleep(this.retryPeriodMs * (1 + Math.random() * (JITTER - 1)));
    }
    // Renew; leadership is lost when no renewal succeeds within renewDeadline.
    let lastRenew = Date.now();
    while (!this.stopped && this.leading) {
      await this.sleeper.sleep(this.retryPeriodMs);
      if (this.stopped) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew > this.renewDeadlineMs) {
        this.leading = false;
        this.log.error({ lease: `${this.config.namespace}/${this.config.name}` }, 'leader lease lost');
        this.callbacks.onStoppedLeading();
        return;
      }
    }
  }

  private key(): { namespace: string; name: string } {
    return { namespace: this.config.namespace, name: this.config.name };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const desired: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let current: Lease;
    try {
      current = await this.client.get<Lease>(LEASE_GVK, this.key());
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ err: (err as Error).message }, 'error reading leader lease');
        return false;
      }
      try {
        await this.client.create<Lease>({ ...LEASE_GVK, metadata: this.key(), spec: desired });
        this.observe(desired, undefined);
        return true;
      } catch (e) {
        this.log.debug({ err: (e as Error).message }, 'could not create leader lease');
        return false;
      }
    }
    const spec = current.spec ?? {};
    if (current.metadata.resourceVersion !== this.observedRV) this.observe(spec, current.metadata.resourceVersion);
    const holder = spec.holderIdentity ?? '';
    if (holder && holder !== this.lastLeader) {
      this.lastLeader = holder;
      if (holder !== this.identity) {
        this.log.info({ leader: holder }, 'new leader observed');
        this.callbacks.onNewLeader?.(holder);
      }
    }
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    const expired = this.observedAt + durationMs <= Date.now();
    if (holder && holder !== this.identity && !expired) return false;

    if (holder === this.identity) {
      desired.acquireTime = spec.acquireTime ?? desired.acquireTime;
      desired.leaseTransitions = spec.leaseTransitions ?? 0;
    } else {
      desired.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
    }
    try {
      const updated = await this.client.update<Lease>({ ...current, spec: desired });
      this.observe(desired, updated.metadata.resourceVersion);
      return true;
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'could not update leader lease');
      return false;
    }
  }

  private observe(_spec: LeaseSpec, rv: string | undefined): void {
    this.observedRV = rv;
    this.observedAt = Date.now();
  }

  private async release(): Promise<void> {
    try {
      const current = await this.client.get<Lease>(LEASE_GVK, this.key());
      if (current.spec?.holderIdentity !== this.identity) return;
      const now = microTime();
      await this.client.update<Lease>({
        ...current,
        spec: { ...current.spec, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      });
      this.log.info({ lease: `${this.config.namespace}/${this.config.name}` }, 'released leader lease');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not release leader lease');
    }
  }
}
