/**
 * API server benchmark: GET and write throughput from one client (keep-alive connections, a few requests in
 * flight), watch fan-out latency to 100 watchers, with 10,000 stored objects, on the durable SQLite store.
 * The server is the real `clusterd apiserver` process, so client and server do not share an event loop.
 * Targets (issue 3): >= 3,000 GETs/s, >= 1,000 writes/s, p99 watch delivery < 50 ms.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RestClient } from '../client/rest-client.js';
import { parseKubeconfig } from '../lib/kubeconfig.js';
import { cliPath } from '../lib/paths.js';
import type { BenchSection } from './types.js';

const OBJECTS = 10_000;
const GETS = 6_000;
const WRITES = 3_000;
const WATCHERS = 100;
const WATCH_EVENTS = 200;
const IN_FLIGHT = 8;

/** Runs n calls with IN_FLIGHT at a time; returns calls per second. */
async function rate(n: number, one: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < n) await one(next++);
  }));
  return n / ((performance.now() - t0) / 1000);
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

const mib = (b: number): number => Math.round((b / 1024 / 1024) * 10) / 10;

/** Resident set size of a process, from /proc. */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
const now = (): number => performance.timeOrigin + performance.now();

async function spawnServer(dataDir: string): Promise<{ url: string; kubeconfig: string; pid: number; stop: () => Promise<void> }> {
  const kcPath = join(dataDir, 'admin.conf');
  const proc = spawn(process.execPath, [cliPath(), 'apiserver', '--port', '0', '--data-dir', join(dataDir, 'store'), '--kubeconfig-out', kcPath, '--log-level', 'warn'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!existsSync(kcPath)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error('clusterd apiserver did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const kubeconfig = readFileSync(kcPath, 'utf8');
  return {
    url: parseKubeconfig(kubeconfig).server, kubeconfig, pid: proc.pid!,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

export async function benchApiServer(): Promise<BenchSection> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-apiserver-'));
  const server = await spawnServer(dataDir);
  // The client layer's RestClient: one keep-alive pool, errors (any non-2xx) thrown as ApiError.
  const c = RestClient.fromKubeconfig(server.kubeconfig, { maxSockets: IN_FLIGHT + WATCHERS + 4 });
  try {
    await c.create('/api/v1/namespaces', { metadata: { name: 'bench' } });
    const rssBefore = rssOf(server.pid);
    const payload = { a: 'x'.repeat(200), b: 'y'.repeat(100) };
    const preloadRate = await rate(OBJECTS, async (i) => {
      await c.create('/api/v1/namespaces/bench/configmaps', { metadata: { name: `cm-${i}`, labels: { i: String(i % 10) } }, data: payload });
    });
    const rssPer10k = ((rssOf(server.pid) - rssBefore) / OBJECTS) * 10_000;
    const rssTotal = rssOf(server.pid);

    const getRate = await rate(GETS, async (i) => {
      await c.get(`/api/v1/namespaces/bench/configmaps/cm-${(i * 7919) % OBJECTS}`);
    });
    // Updates as PUT of a fresh object (no precondition), the common controller write.
    const putRate = await rate(WRITES, async (i) => {
      await c.replace(`/api/v1/namespaces/bench/configmaps/cm-${i}`, { metadata: { name: `cm-${i}`, labels: { i: String(i % 10) } }, data: { ...payload, n: String(i) } });
    });

    // Watch fan-out: 100 watchers on the namespace, then updates with their send time in the object.
    const latencies: number[] = [];
    const { metadata: { resourceVersion: rv } } = await c.get<{ metadata: { resourceVersion: string } }>('/api/v1/namespaces/bench/configmaps?limit=1');
    const stopWatches = new AbortController();
    await Promise.all(Array.from({ length: WATCHERS }, () => new Promise<void>((open, reject) => {
      c.watchStream<{ data?: { sent?: string } }>('/api/v1/namespaces/bench/configmaps?labelSelector=watched%3Dyes', rv, (ev) => {
        const sent = Number(ev.object.data?.sent);
        if (sent) latencies.push(now() - sent);
      }, stopWatches.signal, { onOpen: open }).catch(reject);
    })));
    for (let i = 0; i < WATCH_EVENTS; i++) {
      await c.replace(`/api/v1/namespaces/bench/configmaps/cm-${i}`, { metadata: { name: `cm-${i}`, labels: { watched: 'yes' } }, data: { sent: String(now()) } });
      await new Promise((r) => setTimeout(r, 2));
    }
    const deadline = Date.now() + 10_000;
    while (latencies.length < WATCHERS * WATCH_EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stopWatches.abort();

    const figures = {
      storedObjects: OBJECTS,
      createsPerSecond: Math.round(preloadRate),
      getsPerSecond: Math.round(getRate),
      writesPerSecond: Math.round(putRate),
      watchers: WATCHERS,
      watchEventsDelivered: latencies.length,
      watchP50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
      watchP99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
      rssMiBPer10kObjects: mib(rssPer10k),
      serverRssMiB: mib(rssTotal),
    };
    const ok = (v: boolean): string => (v ? 'yes' : '**NO**');
    const markdown = [
      `The \`clusterd apiserver\` process; one client with ${IN_FLIGHT} requests in flight over keep-alive TLS; durable SQLite store (WAL, synchronous=NORMAL); ${OBJECTS} ConfigMaps stored.`,
      '',
      '| figure | value | target | met |',
      '|---|---|---|---|',
      `| GETs/s | ${figures.getsPerSecond} | >= 3000 | ${ok(figures.getsPerSecond >= 3000)} |`,
      `| writes/s (PUT) | ${figures.writesPerSecond} | >= 1000 | ${ok(figures.writesPerSecond >= 1000)} |`,
      `| creates/s (POST) | ${figures.createsPerSecond} | | |`,
      `| watch delivery p50 / p99 (ms), ${WATCHERS} watchers x ${WATCH_EVENTS} events | ${figures.watchP50Ms} / ${figures.watchP99Ms} | p99 < 50 | ${ok(figures.watchP99Ms < 50 && latencies.length === WATCHERS * WATCH_EVENTS)} |`,
      `| events delivered | ${latencies.length} of ${WATCHERS * WATCH_EVENTS} | | |`,
      `| server RSS growth per 10,000 objects (MiB) | ${figures.rssMiBPer10kObjects} | | |`,
      `| server RSS with ${OBJECTS} objects (MiB) | ${figures.serverRssMiB} | | |`,
    ].join('\n');
    return { title: 'Embedded API server', markdown, figures };
  } finally {
    c.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchApiServer().then((s) => console.log(`## ${s.title}\n\n${s.markdown}`)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
