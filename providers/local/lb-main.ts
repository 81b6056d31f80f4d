/**
 * The control-plane endpoint of one local cluster: a TCP load balancer on the host, on its own address on the
 * provider's bridge (so the host and every machine reach it), forwarding TLS untouched to the members' :6443. Every
 * second it asks each member's GET /readyz (anonymous, as kubeadm's RBAC allows; the serving certificate is not
 * verified, as a cloud load balancer's health check does not) and sends new connections only to members that answer
 * 200; while none does (a cluster still starting), it fails open to all of them, as cloud load balancers do. It runs
 * detached from the daemon, as the machines do, and reads its members from <cluster dir>/members.json.
 *
 *   node lb-main.js <cluster dir>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { LoadBalancer, type Backend } from '../inmemory/lb.js';

interface ClusterFile { loadBalancer: { host: string; port: number } }

/** One /readyz probe: true for a 200 within the timeout. */
export function readyz(b: Backend, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: b.host, port: b.port, path: '/readyz', method: 'GET', rejectUnauthorized: false, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Which members get traffic: the ready ones, or all of them while none is ready. */
export function routable(members: Backend[], ready: boolean[]): Backend[] {
  const up = members.filter((_, i) => ready[i]);
  return up.length > 0 ? up : members;
}

function readMembers(dir: string): Backend[] {
  try {
    return JSON.parse(readFileSync(join(dir, 'members.json'), 'utf8')) as Backend[];
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: lb-main.js <cluster dir>');
  const rec = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterFile;
  const lb = new LoadBalancer({ host: rec.loadBalancer.host, port: rec.loadBalancer.port, healthIntervalMs: 1000 });
  await lb.start();
  let last = '';
  const check = async (): Promise<void> => {
    const members = readMembers(dir);
    const ready = await Promise.all(members.map((m) => readyz(m)));
    const status = members.map((m, i) => ({ ...m, ready: ready[i] }));
    const key = JSON.stringify(status);
    if (key !== last) {
      last = key;
      lb.setBackends(routable(members, ready));
      // What the balancer routes to, for operators and tests.
      writeFileSync(join(dir, 'lb-status.json'), JSON.stringify({ members: status }));
    }
  };
  const loop = (): void => void check().finally(() => setTimeout(loop, 1000));
  loop();
  const stop = (): void => void lb.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`load balancer on ${rec.loadBalancer.host}:${rec.loadBalancer.port}\n`);
}

// Only as the entry point: tests import readyz and routable.
if (process.argv[1]?.endsWith('lb-main.js')) {
  main().catch((err: unknown) => {
    process.stderr.write(`lb: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
