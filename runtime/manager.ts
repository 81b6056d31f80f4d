/**
 * The Manager owns what controllers share: the client, the informer cache, the event recorders, the leader
 * elector, and the probe and metrics servers. `start(signal)` runs everything until the signal aborts, then
 * shuts down in order: stop taking work, let in-flight reconciles finish (up to a deadline), release the
 * lease, stop the informers, close the servers.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { silentLogger } from '../lib/logging.js';
import { InformerCache } from './cache/cache.js';
import { Client } from './client.js';
import type { Controller } from './controller.js';
import { LeaderElector } from './leaderelection.js';
import { RuntimeMetrics } from './metrics.js';
import { Recorder, type EventRecorder } from './recorder.js';
import { parseBindAddress, startMetricsServer, startProbeServer, type BoundAddress, type Check } from './server.js';

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  /** Restrict the cache (and so the controllers) to one namespace; all namespaces when omitted. */
  namespace?: string;
  logger?: Logger;
  /** Default maxConcurrentReconciles for controllers built on this manager. */
  concurrency?: number;
  /** ":8080" (default), "127.0.0.1:0" for any free port, "0" to disable. */
  metricsBindAddress?: string;
  /** ":8081" (default), "0" to disable. */
  healthProbeBindAddress?: string;
  leaderElection?: boolean;
  leaderElectionID?: string;
  leaderElectionNamespace?: string;
  /** Standard timings 15 s / 10 s / 2 s unless overridden. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** How long shutdown waits for in-flight reconciles and runnables. */
  gracefulShutdownTimeoutMs?: number;
  /** User agent and default field manager of the client. */
  userAgent?: string;
}

/** Something the manager runs: started after caches sync (and after election when it needs leadership). */
export interface Runnable {
  start(signal: AbortSignal): Promise<void> | void;
  needLeaderElection?: boolean;
}

export class LeaderElectionLostError extends Error {
  constructor() {
    super('leader election lost');
    this.name = 'LeaderElectionLostError';
  }
}

export class Manager {
  readonly client: Client;
  readonly cache: InformerCache;
  readonly metrics = new RuntimeMetrics();
  readonly logger: Logger;
  readonly options: ManagerOptions & { concurrency: number };
  readonly elector?: LeaderElector;
  private readonly controllers: Controller[] = [];
  private readonly runnables: Runnable[] = [];
  private readonly recorders = new Map<string, Recorder>();
  private readonly healthz = new Map<string, Check>();
  private readonly readyz = new Map<string, Check>();
  private servers: FastifyInstance[] = [];
  private probeAddr?: BoundAddress;
  private metricsAddr?: BoundAddress;
  private started = false;
  private shuttingDown = false;
  private leaderStarted = false;
  private readonly runAbort = new AbortController();
  private readonly running: Promise<unknown>[] = [];

  constructor(opts: ManagerOptions) {
    const concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency: must be a positive integer, got ${String(opts.concurrency)}`);
    this.options = { ...opts, concurrency };
    this.logger = opts.logger ?? silentLogger();
    this.client = new Client(opts.kubeConfig, { userAgent: opts.userAgent ?? 'clusterd', fieldManager: opts.userAgent ?? 'clusterd' });
    this.cache = new InformerCache(this.client, { namespace: opts.namespace, logger: this.logger });
    // Validate addresses now, so a bad flag fails before anything starts.
    parseBindAddress(opts.metricsBindAddress ?? ':8080', 'metrics-bind-address');
    parseBindAddress(opts.healthProbeBindAddress ?? ':8081', 'health-probe-bind-address');
    if (opts.leaderElection) {
      const name = opts.leaderElectionID ?? 'clusterd-leader';
      this.elector = new LeaderElector(
        this.client,
        {
          namespace: opts.leaderElectionNamespace ?? opts.namespace ?? 'default',
          name,
          identity: `${hostname()}_${process.pid}_${Math.random().toString(16).slice(2, 10)}`,
          leaseDurationMs: opts.leaseDurationMs,
          renewDeadlineMs: opts.renewDeadlineMs,
          retryPeriodMs: opts.retryPeriodMs,
        },
        {
          onStartedLeading: () => {
            this.metrics.leaderStatus.set({ name }, 1);
            this.startLeaderRunnables();
          },
          onStoppedLeading: () => {
            this.metrics.leaderStatus.set({ name }, 0);
            this.runAbort.abort(new LeaderElectionLostError());
          },
        },
        this.logger.child({ component: 'leader-election' }),
      );
      this.metrics.leaderStatus.set({ name }, 0);
    }
    this.healthz.set('ping', () => undefined);
    this.readyz.set('informers', () => (this.started && this.cache.hasSynced() ? undefined : 'caches not synced'));
    if (this.elector) this.readyz.set('leader-election', () => (this.elector!.isLeader() ? undefined : 'not the leader'));
    this.readyz.set('shutdown', () => (this.shuttingDown ? 'shutting down' : undefined));
  }

  /** An event recorder reporting as `name` (the controller's name, as in controller-runtime's GetEventRecorderFor). */
  getEventRecorderFor(name: string): EventRecorder {
    let r = this.recorders.get(name);
    if (!r) this.recorders.set(name, (r = new Recorder(this.client, name, this.logger.child({ component: 'events' }), hostname())));
    return r;
  }

  addController(c: Controller): void {
    if (this.controllers.some((x) => x.name === c.name)) throw new Error(`a controller named "${c.name}" already exists; use named() to tell them apart`);
    this.controllers.push(c);
    if (this.leaderStarted) this.running.push(c.start(this.runAbort.signal));
  }

  add(r: Runnable): void {
    this.runnables.push(r);
  }

  addHealthzCheck(name: string, check: Check): void {
    this.healthz.set(name, check);
  }

  addReadyzCheck(name: string, check: Check): void {
    this.readyz.set(name, check);
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : true;
  }

  /** Where the servers listen, once started (handy with port 0). */
  get probeAddress(): BoundAddress | undefined {
    return this.probeAddr;
  }

  get metricsAddress(): BoundAddress | undefined {
    return this.metricsAddr;
  }

  /**
   * Runs until signal aborts. Rejects with LeaderElectionLostError if leadership is lost (the process
   * should then exit, as controller-runtime's managers do, so that it restarts as a follower).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('manager already started');
    this.started = true;
    const log = this.logger.child({ component: 'manager' });
    // Every controller source waits for its informer's sync on this one signal (and lets go once synced):
    // more than Node's default of ten listeners is expected here, not a leak.
    setMaxListeners(100, this.runAbort.signal);
    const onAbort = (): void => this.runAbort.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.startServers();
      this.cache.start();
      for (const r of this.runnables.filter((x) => x.needLeaderElection === false)) this.running.push(Promise.resolve(r.start(this.runAbort.signal)));
      if (this.elector) {
        log.info({ lease: `${this.elector.config.namespace}/${this.elector.config.name}`, identity: this.elector.identity }, 'attempting to acquire leader lease');
        this.elector.run();
      } else this.startLeaderRunnables();
      await new Promise<void>((resolve) => {
        if (this.runAbort.signal.aborted) resolve();
        else this.runAbort.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.shutdown(log);
    }
    if (this.runAbort.signal.reason instanceof LeaderElectionLostError) throw this.runAbort.signal.reason;
  }

  private startLeaderRunnables(): void {
    if (this.leaderStarted) return;
    this.leaderStarted = true;
    for (const c of this.controllers) this.running.push(c.start(this.runAbort.signal));
    for (const r of this.runnables.filter((x) => x.needLeaderElection !== false)) this.running.push(Promise.resolve(r.start(this.runAbort.signal)));
  }

  private async startServers(): Promise<void> {
    const probe = parseBindAddress(this.options.healthProbeBindAddress ?? ':8081', 'health-probe-bind-address');
    const metrics = parseBindAddress(this.options.metricsBindAddress ?? ':8080', 'metrics-bind-address');
    const named = (flag: string, addr: BoundAddress) => (err: unknown): never => {
      const code = (err as { code?: string }).code;
      throw new Error(`${flag} ${addr.host}:${addr.port}: ${code === 'EADDRINUSE' ? 'address already in use' : (err as Error).message}`);
    };
    if (probe) {
      const s = await startProbeServer(probe, this.healthz, this.readyz).catch(named('health-probe-bind-address', probe));
      this.servers.push(s.app);
      this.probeAddr = s.address;
    }
    if (metrics) {
      const s = await startMetricsServer(metrics, this.metrics.registry).catch(named('metrics-bind-address', metrics));
      this.servers.push(s.app);
      this.metricsAddr = s.address;
    }
  }

  private async shutdown(log: Logger): Promise<void> {
    this.shuttingDown = true;
    const deadline = this.options.gracefulShutdownTimeoutMs ?? 30_000;
    log.info({ deadlineMs: deadline }, 'stopping: waiting for in-flight reconciles');
    const results = await Promise.all(this.controllers.map((c) => c.stop(deadline)));
    await withDeadline(Promise.allSettled(this.running), Math.max(1000, deadline / 10));
    await withDeadline(Promise.all([...this.recorders.values()].map((r) => r.flush())), 2000);
    // Release only after the work is done, so a successor never overlaps with our last writes.
    if (this.elector) await this.elector.stop();
    await this.cache.stop();
    await Promise.all(this.servers.map((s) => s.close()));
    this.client.close();
    log.info({ clean: results.every(Boolean) }, 'stopped');
  }
}

async function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((resolve) => (t = setTimeout(resolve, ms)))]);
  clearTimeout(t);
}
