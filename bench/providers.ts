/**
 * In-memory provider benchmark: one control plane (a real `clusterd agent init`), then N worker machines
 * that each run the real `clusterd agent join` (discovery, TLS bootstrap with a fresh RSA key and a CSR
 * the simulated controller-manager approves and signs), and a simulated kubelet that registers its Node
 * and renews its Lease. Reports the time until every Node is Ready, peak RSS, CPU seconds and the cost
 * per machine. BENCH_PROVIDER_MACHINES overrides N (default 1000).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caCertHash, generateClusterPKI, newBootstrapToken, newCertificateKey } from '../bootstrap/index.js';
import { silentLogger } from '../lib/logging.js';
import { createInMemoryProvider } from '../providers/inmemory/provider.js';
import { Informer, KubeClient, type KubeObject } from '../providers/inmemory/kubeclient.js';
import type { ClusterLike, MachineLike } from '../providers/types.js';
import { initUserData, joinUserData, type WorkloadSpec } from '../test/providers/fixtures.js';
import type { BenchSection } from './types.js';

const RANGE = '127.40.0.0/20';
const ip = (n: number): string => `127.40.${Math.floor(n / 256)}.${n % 256}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(100);
  }
}

const ready = (n: KubeObject): boolean =>
  ((n.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export async function benchProviders(): Promise<BenchSection> {
  const workers = Number(process.env.BENCH_PROVIDER_MACHINES ?? 1000);
  const dir = mkdtempSync(join(tmpdir(), 'bench-providers-'));
  const provider = createInMemoryProvider({ dataDir: join(dir, 'inmemory'), logger: silentLogger() });
  const cluster: ClusterLike = { metadata: { name: 'bench', namespace: 'default', uid: 'bench' }, spec: { infrastructure: { provider: 'inmemory', config: { addressRange: RANGE } } } };
  const machine = (name: string): MachineLike => ({ metadata: { name, namespace: 'default', uid: name }, spec: { clusterName: 'bench', version: 'v1.30.2' } });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
  const informers: Informer[] = [];
  let admin: KubeClient | undefined;
  try {
    const infra = await provider.reconcileClusterInfrastructure({ cluster });
    if (infra.status !== 'done' || !infra.value.controlPlaneEndpoint) throw new Error(`bench: cluster infrastructure: ${JSON.stringify(infra)}`);
    const ep = infra.value.controlPlaneEndpoint;
    const pki = await generateClusterPKI();
    const spec: WorkloadSpec = { pki, endpoint: `${ep.host}:${ep.port}`, version: 'v1.30.2', token: newBootstrapToken(), caCertHash: caCertHash(pki.ca.certPem), certificateKey: newCertificateKey() };

    const tCp = performance.now();
    await provider.createOrGetMachine({ cluster, machine: machine('cp-0'), userData: initUserData(spec, 'cp-0', ip(2)) });
    const adminConf = join(dir, 'inmemory/default/bench/machines/cp-0/etc/kubernetes/admin.conf');
    await until('admin.conf', () => existsSync(adminConf), 120_000);
    admin = KubeClient.fromKubeconfig(readFileSync(adminConf, 'utf8'), { maxSockets: 4 });
    const nodes = new Informer(admin, '/api/v1/nodes', {});
    informers.push(nodes);
    nodes.start();
    await until('control-plane Node Ready', () => [...nodes.cache.values()].some(ready), 120_000);
    const controlPlaneSeconds = (performance.now() - tCp) / 1000;

    // The embedded API server does not yet record a CSR's requester (spec.username/groups), which the
    // approver needs; until it does, this harness fills them in as kube-apiserver would for a bootstrap token.
    const tokenId = spec.token.split('.')[0]!;
    const csrs = new Informer(admin, '/apis/certificates.k8s.io/v1/certificatesigningrequests', {
      onUpsert: (o) => {
        const s = o.spec as { username?: string; groups?: string[] };
        if (s.username) return;
        s.username = `system:bootstrap:${tokenId}`;
        s.groups = ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'];
        void admin!.replace(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${o.metadata.name}`, o).catch(() => undefined);
      },
    });
    informers.push(csrs);
    csrs.start();

    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < workers; i++) {
      const name = `w-${i}`;
      const r = await provider.createOrGetMachine({ cluster, machine: machine(name), userData: joinUserData(spec, name, ip(3 + i), false) });
      if (r.status !== 'done') throw new Error(`bench: ${name}: ${JSON.stringify(r)}`);
    }
    const createSeconds = (performance.now() - t0) / 1000;
    const readyWorkers = () => [...nodes.cache.values()].filter((n) => n.metadata.name.startsWith('w-') && ready(n)).length;
    try {
      await until(`${workers} worker Nodes Ready`, () => readyWorkers() === workers, Number(process.env.BENCH_PROVIDER_TIMEOUT_S ?? 900) * 1000);
    } catch (err) {
      const log = join(dir, 'inmemory/default/bench/machines/w-0/var/log/cloud-init-output.log');
      process.stderr.write(`${readyWorkers()}/${workers} Ready; w-0's cloud-init log ends:\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-1500) : '(none)'}\n`);
      throw err;
    }
    const allReadySeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const figures = {
      workers,
      controlPlaneSeconds: Number(controlPlaneSeconds.toFixed(2)),
      createSeconds: Number(createSeconds.toFixed(2)),
      allReadySeconds: Number(allReadySeconds.toFixed(2)),
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      cpuSeconds: Number(cpuSeconds.toFixed(1)),
      cpuMsPerMachine: Math.round((cpuSeconds * 1000) / workers),
      rssKiBPerMachine: Math.round(peakRss / 1024 / (workers + 1)),
    };
    const markdown = [
      `One control plane (real \`clusterd agent init\`), then ${workers} workers each running the real \`clusterd agent join\` (token discovery, TLS bootstrap with a new RSA-2048 key, CSR approved and signed by the simulated controller-manager), a simulated kubelet registering its Node and renewing its Lease every 10 s.`,
      '',
      '| figure | value |',
      '| --- | --- |',
      `| control plane Ready | ${figures.controlPlaneSeconds} s |`,
      `| ${workers} createOrGetMachine calls | ${figures.createSeconds} s |`,
      `| all ${workers} worker Nodes Ready (from the first create) | ${figures.allReadySeconds} s |`,
      `| peak RSS (whole process) | ${figures.peakRssMiB} MiB |`,
      `| CPU (user+system) from first create to all Ready | ${figures.cpuSeconds} s |`,
      `| per machine | ${figures.cpuMsPerMachine} ms CPU, ~${figures.rssKiBPerMachine} KiB RSS |`,
    ].join('\n');
    return { title: `In-memory provider: ${workers} worker machines`, markdown, figures };
  } finally {
    clearInterval(sampler);
    for (const i of informers) i.stop();
    admin?.close();
    await provider.deleteClusterInfrastructure({ cluster }).catch(() => undefined);
    await provider.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
