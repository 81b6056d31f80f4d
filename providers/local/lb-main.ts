/**
 * The control-plane endpoint of one local cluster: a TCP load balancer on the host, on its own address on the
 * provider's bridge (so the host and every machine reach it), forwarding to the members' :6443 and taking out a
 * member whose TCP health check fails. It runs detached from the daemon, as the machines do, and reads its members
 * from <cluster dir>/members.json (rewritten by the provider), re-read every second.
 *
 *   node lb-main.js <cluster dir>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadBalancer, type Backend } from '../inmemory/lb.js';

interface ClusterFile { loadBalancer: { host: string; port: number } }

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: lb-main.js <cluster dir>');
  const rec = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterFile;
  const lb = new LoadBalancer({ host: rec.loadBalancer.host, port: rec.loadBalancer.port, healthIntervalMs: 1000 });
  await lb.start();
  let last = '';
  const refresh = (): void => {
    let text = '[]';
    try {
      text = readFileSync(join(dir, 'members.json'), 'utf8');
    } catch {
      // no member yet
    }
    if (text === last) return;
    last = text;
    try {
      lb.setBackends(JSON.parse(text) as Backend[]);
    } catch {
      last = '';
    }
  };
  refresh();
  setInterval(refresh, 1000);
  const stop = (): void => void lb.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`load balancer on ${rec.loadBalancer.host}:${rec.loadBalancer.port}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`lb: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
