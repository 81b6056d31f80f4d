/**
 * End-to-end harness: a real `clusterd run` (in-memory provider) in a temp data dir, driven with the real kubectl,
 * which can be SIGKILLed and restarted on the same data dir (scenario 6). Two management backends:
 * - `embedded`: the daemon starts its own API server (what `make run` does);
 * - `kube`: a real etcd + kube-apiserver + kube-controller-manager (test/support/kube-control-plane.ts), the CRDs
 *   applied with kubectl, and `clusterd run --kubeconfig` against it, as in a real management cluster. The control
 *   plane outlives the daemon's kills, as a real one would.
 * Each harness owns a loopback address range, so two e2e files can run side by side.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, KubeConfig, makeInformer, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import type { Machine } from '../../api/v1alpha1/index.js';
import { cliPath, repoRoot } from '../../lib/paths.js';
import { freePort, spawnClusterd } from '../support/clusterd-process.js';
import { KubeControlPlane } from '../support/kube-control-plane.js';

const run = promisify(execFile);

/** What kubectl says when nothing is listening, or the connection was cut mid-request. */
const DOWN = /connection refused|connection to the server .* was refused|Unable to connect|EOF|connection reset|i\/o timeout|Client\.Timeout|context deadline|unexpected end|http2|ECONNREFUSED|ECONNRESET|socket hang up|not found in.*watch|an error on the server|no objects passed to/i;

export type Backend = 'embedded' | 'kube';

export interface E2EOptions {
  /** The management cluster: clusterd's embedded API server (default) or a real kube-apiserver. */
  backend?: Backend;
  /** Loopback CIDR for the in-memory provider's machines and load balancer (unique per test file). */
  addressRange: string;
  /** The daemon's log level (default: E2E_LOG_LEVEL, else warn). */
  logLevel?: string;
  /** Keep the daemon's whole output in memory (for checks over all of it), not only its tail. */
  keepAllOutput?: boolean;
}

export class E2E {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'clusterd-e2e-'));
  readonly kubeconfig = join(this.dataDir, 'kubeconfig');
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private out = '';
  private port = 0;
  private workloadFiles = new Map<string, string>();
  readonly addressRange: string;
  /** Daemon starts, including restarts after a kill. */
  starts = 0;
  /**
   * Scenario 6: the daemon (and with it every simulated machine and load balancer) may be down at any
   * moment, so kubectl calls that fail to connect are retried for up to this long.
   */
  retryWhileDownMs = 0;

  private readonly all?: string[];
  private readonly logLevel: string;
  readonly backend: Backend;
  /** The real management control plane (backend kube). */
  controlPlane?: KubeControlPlane;

  constructor(opts: E2EOptions) {
    this.backend = opts.backend ?? 'embedded';
    this.addressRange = opts.addressRange;
    this.logLevel = opts.logLevel ?? process.env.E2E_LOG_LEVEL ?? 'warn';
    if (opts.keepAllOutput) this.all = [];
  }

  /** Starts (or restarts) the daemon on the same data dir and API server port. */
  async start(): Promise<void> {
    this.port ||= await freePort();
    this.starts++;
    // E2E_DAEMON_LOG=FILE keeps the whole output of every daemon start, for a failure's post-mortem.
    const keep = (d: Buffer): void => {
      this.out = (this.out + d.toString()).slice(-200_000);
      this.all?.push(d.toString());
      if (process.env.E2E_DAEMON_LOG) appendFileSync(process.env.E2E_DAEMON_LOG, d);
    };
    const where = this.backend === 'embedded' ? ['--apiserver-port', String(this.port)] : ['--kubeconfig', await this.kubeManagement()];
    const daemon = spawnClusterd(['run', '--data-dir', this.dataDir, ...where,
      '--metrics-bind-address', '0', '--health-probe-bind-address', '0', '--concurrency', '4'],
    { CLUSTERD_LOG_LEVEL: this.logLevel }, keep);
    this.exited = daemon.exited.then(() => undefined);
    this.child = daemon.child;
    await this.until('the API server answers', async () => existsSync(this.kubeconfig) && (await this.kubectl('get', 'crd', '-o', 'name')).includes('clusters.clusterd.dev'), 60_000);
  }

  /**
   * Backend kube: starts the real control plane once, installs crds/ with kubectl as a user of a real management
   * cluster would, and returns the admin kubeconfig (also at this.kubeconfig, for kubectl).
   */
  private async kubeManagement(): Promise<string> {
    if (!this.controlPlane) {
      this.controlPlane = await KubeControlPlane.start();
      writeFileSync(this.kubeconfig, readFileSync(this.controlPlane.adminKubeconfig), { mode: 0o600 });
      await this.kubectl('apply', '-f', join(repoRoot(), 'crds'));
      await this.kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all');
    }
    return this.controlPlane.adminKubeconfig;
  }

  /** SIGKILL: no graceful shutdown, as a crash. */
  async kill(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  output(): string {
    return this.out;
  }

  /** Everything every daemon start printed (keepAllOutput). */
  fullOutput(): string {
    if (!this.all) throw new Error('fullOutput needs keepAllOutput');
    return this.all.join('');
  }

  async kubectl(...args: string[]): Promise<string> {
    return this.retrying(async () => (await run('kubectl', ['--kubeconfig', this.kubeconfig, '--request-timeout=20s', ...args], { maxBuffer: 32 * 1024 * 1024 })).stdout);
  }

  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    const end = Date.now() + this.retryWhileDownMs;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        const text = `${(err as { stderr?: string }).stderr ?? ''} ${(err as Error).message}`;
        if (Date.now() > end || !DOWN.test(text)) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async json<T>(...args: string[]): Promise<T> {
    return JSON.parse(await this.kubectl(...args, '-o', 'json')) as T;
  }

  /** The workload cluster's admin kubeconfig file, from `clusterd get kubeconfig NAME` (fetched once). */
  async workloadKubeconfig(cluster: string, refresh = false): Promise<string> {
    const known = this.workloadFiles.get(cluster);
    if (known && !refresh) return known;
    const { stdout } = await this.retrying(() => run(process.execPath, [cliPath(), 'get', 'kubeconfig', cluster, '--kubeconfig', this.kubeconfig]));
    const file = join(this.dataDir, `${cluster}.kubeconfig`);
    writeFileSync(file, stdout, { mode: 0o600 });
    this.workloadFiles.set(cluster, file);
    return file;
  }

  /** kubectl against a workload cluster, with `clusterd get kubeconfig NAME`. */
  async workloadKubectl(cluster: string, ...args: string[]): Promise<string> {
    const file = await this.workloadKubeconfig(cluster);
    return this.retrying(async () => (await run('kubectl', ['--kubeconfig', file, '--request-timeout=20s', ...args], { maxBuffer: 32 * 1024 * 1024 })).stdout);
  }

  /**
   * Applies an example manifest with this harness's address range filled into every in-memory cluster, and with every
   * Kubernetes version of it replaced by `version` when given (an upgrade scenario starts from the previous minor).
   */
  async apply(file: string, opts: { version?: string } = {}): Promise<void> {
    let text = readFileSync(join(repoRoot(), file), 'utf8');
    if (opts.version) text = text.replace(/^(\s*version:\s*)v1\.\d+\.\d+\s*$/gm, `$1${opts.version}`);
    const docs = yaml.loadAll(text) as Array<{ kind?: string; spec?: { infrastructure?: { config?: Record<string, unknown> } } }>;
    for (const d of docs) {
      if (d?.kind === 'Cluster' && d.spec?.infrastructure) d.spec.infrastructure.config = { ...d.spec.infrastructure.config, addressRange: this.addressRange };
    }
    const out = join(this.dataDir, `applied-${file.replace(/[^a-z0-9.]/gi, '_')}`);
    writeFileSync(out, docs.map((d) => yaml.dump(d)).join('---\n'));
    await this.kubectl('apply', '-f', out);
  }

  async jsonpath(args: string[], path: string): Promise<string> {
    return this.kubectl(...args, '-o', `jsonpath=${path}`);
  }

  /**
   * Waits until `kubectl get resource -o jsonpath={expr}` prints value, for `{expr}=value`. Polled rather than
   * `kubectl wait --for=jsonpath`, which kubectl only has from 1.23 (Debian's is 1.20).
   */
  async waitFor(resource: string, condition: string, timeoutMs: number): Promise<void> {
    const at = condition.lastIndexOf('}=');
    if (at < 0) throw new Error(`waitFor: ${condition} is not {jsonpath}=value`);
    const [expr, want] = [condition.slice(0, at + 1), condition.slice(at + 2)];
    let seen = '';
    try {
      await this.until(`${resource} ${condition}`, async () => {
        seen = await this.kubectl('get', resource, '-o', `jsonpath=${expr}`);
        return seen === want;
      }, timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n(${expr} was last ${JSON.stringify(seen)})`);
    }
  }

  /** Polls fn (errors count as "not yet", so it rides out a restarting daemon) until it holds. */
  async until(what: string, fn: () => Promise<boolean>, timeoutMs = 90_000, everyMs = 500): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        if (await fn()) return;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}\n--- daemon output (tail) ---\n${this.out.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /** The in-memory provider's machine records for a cluster: what "exists in the cloud". */
  providerMachines(cluster: string, ns = 'default'): string[] {
    const dir = join(this.dataDir, 'inmemory', ns, cluster, 'instances');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
  }

  /** A file on an in-memory machine's disk (its root folder), as its cloud-init left it. */
  machineFile(cluster: string, machine: string, path: string, ns = 'default'): string {
    return readFileSync(join(this.dataDir, 'inmemory', ns, cluster, 'machines', machine, path), 'utf8');
  }

  /** The in-memory provider's etcd membership of a cluster (its simulated etcd's data): name and learner flag per member. */
  etcdMembers(cluster: string, ns = 'default'): { name: string; isLearner: boolean }[] {
    const f = join(this.dataDir, 'inmemory', ns, cluster, 'etcd', 'members.json');
    return (JSON.parse(readFileSync(f, 'utf8')) as { members: { name: string; isLearner: boolean }[] }).members;
  }

  providerClusterExists(cluster: string, ns = 'default'): boolean {
    return existsSync(join(this.dataDir, 'inmemory', ns, cluster));
  }

  /** A list+watch of Machines in the management cluster; every event goes to onEvent. */
  async watchMachines(onEvent: (machines: Machine[], changed: Machine, type: string) => void): Promise<{ stop(): Promise<void> }> {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfig);
    const api = kc.makeApiClient(CustomObjectsApi);
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> =>
      (await api.listNamespacedCustomObject({ group: 'clusterd.dev', version: 'v1alpha1', namespace: 'default', plural: 'machines' })) as KubernetesListObject<KubernetesObject>;
    const inf = makeInformer<KubernetesObject>(kc, '/apis/clusterd.dev/v1alpha1/namespaces/default/machines', list);
    // The initial list arrives as one 'add' per item into a half-filled cache: only events after the
    // first complete list describe the world.
    let synced = false;
    for (const verb of ['add', 'update', 'delete'] as const) {
      inf.on(verb, (m) => synced && onEvent([...inf.list()] as unknown as Machine[], m as unknown as Machine, verb));
    }
    // The daemon outlives every watch in these tests; a dropped watch is re-established until stopped.
    let stopped = false;
    inf.on('error', () => setTimeout(() => void (stopped || inf.start().catch(() => undefined)), 200));
    await inf.start();
    synced = true;
    return { stop: async () => { stopped = true; await inf.stop(); } };
  }

  /** Kills the daemon and removes the data dir (kept when E2E_KEEP is set, for a post-mortem). */
  async close(): Promise<void> {
    await this.kill();
    await this.controlPlane?.stop();
    if (process.env.E2E_KEEP) process.stderr.write(`e2e: kept ${this.dataDir}\n`);
    else rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Rows of `kubectl get nodes --no-headers` whose STATUS is Ready. */
export function countReady(table: string): number {
  return table.split('\n').filter((l) => /\sReady\s/.test(l)).length;
}

/**
 * Probes a workload cluster's endpoint (GET /version over a fresh TLS connection each time, as a new
 * kubectl would) every intervalMs until stopped; counts failures with their reasons.
 */
export class EndpointProber {
  ok = 0;
  readonly failures: string[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private inflight?: Promise<void>;

  private constructor(private readonly server: URL, private readonly tls: { ca: Buffer; cert: Buffer; key: Buffer }) {}

  static fromKubeconfig(file: string): EndpointProber {
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    const cluster = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    if (!cluster?.caData || !user?.certData || !user.keyData) throw new Error(`${file}: expected embedded CA and client certificate data`);
    const b = (s: string): Buffer => Buffer.from(s, 'base64');
    return new EndpointProber(new URL(cluster.server), { ca: b(cluster.caData), cert: b(user.certData), key: b(user.keyData) });
  }

  start(intervalMs = 250): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.inflight = this.probe().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inflight;
  }

  private probe(): Promise<void> {
    return new Promise((resolve) => {
      const started = new Date().toISOString();
      const req = request({
        host: this.server.hostname, port: this.server.port || 443, path: '/version', method: 'GET', agent: false,
        ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key, timeout: 5000,
      }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) this.ok++;
          else this.failures.push(`${started} HTTP ${res.statusCode}`);
          resolve();
        });
        res.on('error', (err) => {
          this.failures.push(`${started} ${err.message}`);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout after 5s')));
      req.on('error', (err) => {
        this.failures.push(`${started} ${err.message}`);
        resolve();
      });
      req.end();
    });
  }
}
