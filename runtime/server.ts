/** The probe server (/healthz, /readyz) and the metrics server (/metrics), both fastify. */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** A named check: resolves with undefined when healthy, or a reason string when not. */
export type Check = () => string | undefined | Promise<string | undefined>;

export interface BoundAddress {
  host: string;
  port: number;
}

/** Parses a Go-style bind address: ":8080" (all interfaces), "127.0.0.1:0", "[::1]:8081". "0" means disabled. */
export function parseBindAddress(addr: string, flag = 'bind address'): BoundAddress | undefined {
  if (addr === '0' || addr === '') return undefined;
  const m = addr.match(/^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/);
  if (!m) throw new Error(`${flag}: "${addr}" is not HOST:PORT, :PORT or 0`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`${flag}: port ${port} is out of range`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Runs the checks kube-apiserver style: 200 "ok", or 500 with one [+]/[-] line per check. */
async function runChecks(checks: Map<string, Check>, verbose: boolean, exclude: ReadonlySet<string> = new Set()): Promise<{ code: number; body: string }> {
  const lines: string[] = [];
  let failed = false;
  for (const [name, check] of checks) {
    if (exclude.has(name)) {
      lines.push(`[+]${name} excluded: ok`);
      continue;
    }
    let reason: string | undefined;
    try {
      reason = await check();
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    if (reason !== undefined) {
      failed = true;
      lines.push(`[-]${name} failed: ${reason}`);
    } else lines.push(`[+]${name} ok`);
  }
  if (!failed && !verbose) return { code: 200, body: 'ok' };
  lines.push(failed ? 'check failed' : 'ok');
  return { code: failed ? 500 : 200, body: lines.join('\n') + '\n' };
}

export async function startProbeServer(addr: BoundAddress, healthz: Map<string, Check>, readyz: Map<string, Check>): Promise<{ app: FastifyInstance; address: BoundAddress }> {
  const app = Fastify({ logger: false });
  for (const [path, checks] of [['/healthz', healthz], ['/readyz', readyz]] as const) {
    app.get(path, async (req, reply) => {
      const query = (req.query ?? {}) as Record<string, string | string[] | undefined>;
      const verbose = Object.prototype.hasOwnProperty.call(query, 'verbose');
      // ?exclude=NAME (repeatable), as kube-apiserver: a standby replica's readiness leaves out leader-election.
      const exclude = new Set([query.exclude ?? []].flat());
      const { code, body } = await runChecks(checks, verbose, exclude);
      return reply.code(code).type('text/plain; charset=utf-8').send(body);
    });
  }
  return { app, address: await listen(app, addr) };
}

export async function startMetricsServer(addr: BoundAddress, registry: Registry): Promise<{ app: FastifyInstance; address: BoundAddress }> {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return { app, address: await listen(app, addr) };
}

async function listen(app: FastifyInstance, addr: BoundAddress): Promise<BoundAddress> {
  await app.listen({ host: addr.host, port: addr.port });
  const a = app.server.address();
  return typeof a === 'object' && a ? { host: addr.host, port: a.port } : addr;
}
