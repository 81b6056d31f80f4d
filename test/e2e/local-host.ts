/**
 * What a `local` cluster leaves on the host, seen from outside clusterd: its machines' records, the processes inside
 * their network namespaces (and their RSS), etcd asked from inside a machine with etcdctl, and every namespace,
 * veth, bridge, mount and process the test saw, checked gone at the end.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MachineRecord } from '../../providers/local/layout.js';
import { KUBE_TEST_VERSION, kubeBinary } from '../../lib/kube-binaries.js';
import { hostProcesses } from '../support/host-processes.js';

const exec = promisify(execFile);

/** The local provider's files for one cluster under a daemon's data dir. */
export class LocalCluster {
  readonly dir: string;
  /** Every namespace, veth and bridge any of the cluster's machines ever had. */
  readonly seen = { netns: new Set<string>(), veth: new Set<string>(), bridge: new Set<string>(), netnsInodes: new Set<string>() };
  private timer?: NodeJS.Timeout;

  constructor(readonly dataDir: string, readonly cluster: string, readonly namespace = 'default') {
    this.dir = join(dataDir, 'local', namespace, cluster);
  }

  machineDir(name: string): string {
    return join(this.dir, 'machines', name);
  }

  records(): MachineRecord[] {
    const dir = join(this.dir, 'machines');
    if (!existsSync(dir)) return [];
    const out: MachineRecord[] = [];
    for (const m of readdirSync(dir)) {
      try {
        out.push(JSON.parse(readFileSync(join(dir, m, 'machine.json'), 'utf8')) as MachineRecord);
      } catch {
        // being written or removed
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  record(name: string): MachineRecord {
    const r = this.records().find((x) => x.name === name);
    if (!r) throw new Error(`no local machine ${name}`);
    return r;
  }

  /** Notes what the machines use, every second, so the end can check that all of it is gone. */
  watch(): void {
    const note = (): void => {
      for (const r of this.records()) {
        this.seen.netns.add(r.netns);
        this.seen.veth.add(r.veth);
        this.seen.bridge.add(r.bridge);
        try {
          this.seen.netnsInodes.add(`net:[${statSync(`/run/netns/${r.netns}`).ino}]`);
        } catch {
          // not made yet, or gone
        }
      }
    };
    note();
    this.timer = setInterval(note, 1000);
  }

  stopWatching(): void {
    clearInterval(this.timer);
  }

  /** A file of a machine's own root (its /etc/kubernetes, /var/lib/kubelet, /var/log...). */
  file(machine: string, path: string): string {
    return join(this.machineDir(machine), 'root', path);
  }

  /** etcdctl of the test version, run in the machine's network namespace against its own etcd. */
  async etcdctl(machine: string, ...args: string[]): Promise<string> {
    const r = this.record(machine);
    const pki = this.file(machine, 'etc/kubernetes/pki/etcd');
    const { stdout } = await exec('ip', ['netns', 'exec', r.netns, kubeBinary(KUBE_TEST_VERSION, 'etcdctl'), '--endpoints=https://127.0.0.1:2379',
      `--cacert=${pki}/ca.crt`, `--cert=${pki}/healthcheck-client.crt`, `--key=${pki}/healthcheck-client.key`, '--command-timeout=10s', ...args]);
    return stdout;
  }

  /** Host pids of the processes in a machine's network namespace, and the sum of their resident memory. */
  usage(machine: string): { pids: number[]; rssKiB: number } {
    const pids = processesIn(`/run/netns/${this.record(machine).netns}`);
    let rssKiB = 0;
    for (const p of pids) {
      try {
        rssKiB += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        // exited meanwhile
      }
    }
    return { pids, rssKiB };
  }

  /**
   * Takes down, synchronously, whatever of the cluster is still running: for a test file the runner stops (a timeout's
   * SIGTERM ends it through process.exit, where nothing asynchronous runs), since machines outlive the daemon by
   * design and would hold the range's addresses for the next run. SIGKILL to every process naming the cluster's files
   * (a machine's unshare takes its PID namespace with it), then its namespaces, veths and bridge.
   */
  destroySync(): void {
    if (!existsSync(this.dir)) return;
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.dir)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    for (const n of this.seen.netns) spawnSync('ip', ['netns', 'del', n]);
    for (const l of [...this.seen.veth, ...this.seen.bridge]) spawnSync('ip', ['link', 'del', l]);
  }

  /** What of everything seen is still on the host: namespaces, veths, bridges, processes, mounts. */
  leftovers(): string[] {
    const left: string[] = [];
    for (const n of this.seen.netns) if (existsSync(`/run/netns/${n}`)) left.push(`network namespace ${n}`);
    for (const v of this.seen.veth) if (existsSync(`/sys/class/net/${v}`)) left.push(`veth ${v}`);
    for (const b of this.seen.bridge) if (existsSync(`/sys/class/net/${b}`)) left.push(`bridge ${b}`);
    // Namespace inodes are reused: one that now belongs to a namespace another test named is not ours.
    const others = new Set<string>();
    for (const n of existsSync('/run/netns') ? readdirSync('/run/netns') : []) {
      try {
        if (!this.seen.netns.has(n)) others.add(`net:[${statSync(`/run/netns/${n}`).ino}]`);
      } catch {
        // removed meanwhile
      }
    }
    for (const { pid, cmdline, netns } of hostProcesses()) {
      // A process of a machine: its command names the machine's files, or it lives in a machine's network namespace
      // (pids are reused, namespace inodes are not while anything holds them).
      if (cmdline.includes(this.dir) || (this.seen.netnsInodes.has(netns) && !others.has(netns))) left.push(`process ${pid}: ${cmdline.slice(0, 200)}`);
    }
    for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      if (l.includes(this.dir) || [...this.seen.netns].some((n) => l.includes(`/run/netns/${n}`))) left.push(`mount ${l}`);
    }
    return left;
  }
}

/** Host pids of every process inside the network namespace. */
export function processesIn(netnsPath: string): number[] {
  if (!existsSync(netnsPath)) return [];
  const ino = statSync(netnsPath).ino;
  const pids: number[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readlinkSync(`/proc/${p}/ns/net`) === `net:[${ino}]`) pids.push(Number(p));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** GET over TLS with the given identity (none: anonymous); the status code and body. */
export function httpsGet(url: string, tls: { ca: string; cert?: string; key?: string }, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'GET', agent: false, ...tls, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Samples etcd's health every intervalMs from the host, over the machines' bridge, with the etcd client certificate:
 * a sample holds quorum when some member answers /health true within timeoutMs (etcd answers true only with a leader,
 * which it keeps only with a quorum). Samples start on the clock, whether or not the previous one has answered.
 */
export class EtcdQuorumSampler {
  samples = 0;
  readonly lost: string[] = [];
  private timer?: NodeJS.Timeout;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly c: LocalCluster, private readonly intervalMs = 250, private readonly timeoutMs = 2000) {}

  start(): void {
    const tick = (): void => {
      const p = this.sample().finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
  }

  private async sample(): Promise<void> {
    const members = this.c.records().filter((r) => existsSync(this.c.file(r.name, 'etc/kubernetes/manifests/etcd.yaml')));
    const answers = await Promise.all(members.map(async (r) => {
      const pki = this.c.file(r.name, 'etc/kubernetes/pki/etcd');
      try {
        const tls = { ca: readFileSync(`${pki}/ca.crt`, 'utf8'), cert: readFileSync(`${pki}/healthcheck-client.crt`, 'utf8'), key: readFileSync(`${pki}/healthcheck-client.key`, 'utf8') };
        const res = await httpsGet(`https://${r.address}:2379/health`, tls, this.timeoutMs);
        return `${r.name}=${res.status === 200 && /"health":\s*"true"/.test(res.body) ? 'ok' : res.body.trim()}`;
      } catch (err) {
        return `${r.name}=${err instanceof Error ? err.message : String(err)}`;
      }
    }));
    this.samples++;
    if (!answers.some((a) => a.endsWith('=ok'))) this.lost.push(`${new Date().toISOString()} ${answers.join(' ') || 'no member'}`);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.inflight]);
  }
}
