/**
 * The workload cluster's control-plane endpoint: a layer-4 (TCP) load balancer on a loopback address,
 * spreading connections over the live API server members, as a cloud's network load balancer does.
 * TLS passes through untouched, so clients verify the members' serving certificates against the cluster CA.
 *
 * A member is taken out on the first failed connect (and the client's connection is retried on another
 * member before any byte is forwarded), and is put back by a periodic TCP health check.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../lib/logging.js';

export interface Backend {
  host: string;
  port: number;
}

interface Member extends Backend {
  healthy: boolean;
}

export interface LoadBalancerOptions {
  host: string;
  port: number;
  /** How often down (and up) members are probed; default 1 s. */
  healthIntervalMs?: number;
  /** Connect timeout to a member, for both traffic and probes; default 1 s. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

const id = (b: Backend): string => `${b.host}:${b.port}`;

export class LoadBalancer {
  private server?: Server;
  private readonly members = new Map<string, Member>();
  private readonly sockets = new Set<Socket>();
  private next = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly opts: LoadBalancerOptions) {}

  get address(): Backend {
    return { host: this.opts.host, port: this.opts.port };
  }

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.timer = setInterval(() => void this.probeAll(), this.opts.healthIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Replaces the member list. New members start healthy (their API server just answered); stale ones go. */
  setBackends(backends: Backend[]): void {
    const want = new Set(backends.map(id));
    for (const key of this.members.keys()) if (!want.has(key)) this.members.delete(key);
    for (const b of backends) if (!this.members.has(id(b))) this.members.set(id(b), { ...b, healthy: true });
  }

  addBackend(b: Backend): void {
    const m = this.members.get(id(b));
    if (m) m.healthy = true;
    else this.members.set(id(b), { ...b, healthy: true });
  }

  removeBackend(b: Backend): void {
    this.members.delete(id(b));
  }

  /** Members and whether the balancer currently sends them traffic. */
  backends(): { host: string; port: number; healthy: boolean }[] {
    return [...this.members.values()].map((m) => ({ ...m }));
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * A healthy member not yet tried; when none is left, any member not yet tried ("fail open", as cloud
   * network load balancers do when every target looks unhealthy). A member is marked down on a connect
   * timeout, and a busy event loop can fire that timer before it sees the completed connect, so a lone
   * control plane must not turn into a second of reset connections.
   */
  private pick(exclude: Set<string>): Member | undefined {
    const untried = [...this.members.values()].filter((m) => !exclude.has(id(m)));
    const healthy = untried.filter((m) => m.healthy);
    const live = healthy.length > 0 ? healthy : untried;
    if (live.length === 0) return undefined;
    this.next = (this.next + 1) % live.length;
    return live[this.next];
  }

  private accept(client: Socket): void {
    client.pause();
    this.track(client);
    client.on('error', () => client.destroy());
    const tried = new Set<string>();
    const attempt = (): void => {
      const m = this.pick(tried);
      if (!m) {
        client.destroy();
        return;
      }
      tried.add(id(m));
      const upstream = createConnection({ host: m.host, port: m.port });
      upstream.setTimeout(this.opts.connectTimeoutMs ?? 1000);
      let connected = false;
      // After a long busy stretch the timers phase runs before the poll phase that would deliver an
      // already completed connect: look again after poll (setImmediate) before calling it a timeout.
      upstream.once('timeout', () => setImmediate(() => {
        if (!connected) upstream.destroy(new Error('connect timeout'));
      }));
      upstream.once('connect', () => {
        connected = true;
        upstream.setTimeout(0);
        this.track(upstream);
        // pipe() carries each side's FIN to the other. A FIN does not end a TLS connection for node's https server (it
        // waits for close_notify, which a client that exits never sends), so the member's side would stay open for
        // ever: when either side is gone, the other is ended once its pending bytes are written, then destroyed.
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.once('close', () => upstream.destroySoon());
        upstream.once('close', () => client.destroySoon());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once('error', () => {
        if (connected) return;
        m.healthy = false;
        this.opts.logger?.info({ member: id(m) }, 'load balancer: member down');
        if (!client.destroyed) attempt();
      });
    };
    attempt();
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private async probeAll(): Promise<void> {
    await Promise.all([...this.members.values()].map(async (m) => {
      const ok = await probe(m, this.opts.connectTimeoutMs ?? 1000);
      if (ok !== m.healthy) this.opts.logger?.info({ member: id(m), healthy: ok }, 'load balancer: member health changed');
      m.healthy = ok;
    }));
  }
}

function probe(b: Backend, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: b.host, port: b.port });
    const finish = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => finish(false));
    s.once('connect', () => finish(true));
    s.once('error', () => finish(false));
  });
}
