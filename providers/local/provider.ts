/**
 * The `local` infrastructure provider: each machine is a set of Linux namespaces on this host (network, UTS, mount,
 * PID) with its own address on a bridge the provider creates, running cloud-init, the agent, clusterd's process
 * kubelet and the real Kubernetes binaries. The control-plane endpoint is a TCP load balancer on the host. Machines
 * and load balancers are detached processes: they outlive the daemon, and a restarted provider re-attaches to them.
 *
 * Layout under the provider's data dir:
 *   <ns>/<cluster>/cluster.json          range, bridge, load balancer address and pid
 *   <ns>/<cluster>/members.json          the load balancer's members
 *   <ns>/<cluster>/machines/<machine>/   one machine (layout.ts)
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../lib/logging.js';
import { kubeCacheDir } from '../../lib/kube-binaries.js';
import { invalidConfig, validateProviderConfig } from '../config.js';
import { ipString } from '../inmemory/addresses.js';
import { readJson, safeReaddir, writeJsonAtomic } from '../shared/records.js';
import type { ClusterLike, FieldError, InfrastructureProvider, ListedMachine, MachineLike, OperationResult, ProviderContext, ProviderMachine } from '../types.js';
import { done, failed } from '../types.js';
import { localConfigSchema, validateLocalConfig, type LocalConfig } from './config.js';
import { recordPath, userDataPath, type MachineRecord } from './layout.js';
import {
  addBridgeAddress, bridgeName, bridgePorts, createMachineNet, deleteBridge, deleteMachineNet, ensureBridge, missingPrerequisites,
  rangeCollisions, rangeInfo, removeBridgeAddress,
} from './net.js';
import { childrenOf, isRunning, startDetached, stopDetached } from './processes.js';

export interface ClusterRecord {
  namespace: string;
  name: string;
  uid?: string;
  range: string;
  bridge: string;
  loadBalancer: { host: string; port: number };
  lbPid?: number;
}

const nsOf = (o: { metadata: { namespace?: string } }): string => o.metadata.namespace ?? 'default';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SUPERVISOR = fileURLToPath(new URL('./supervisor.js', import.meta.url));
const LB_MAIN = fileURLToPath(new URL('./lb-main.js', import.meta.url));
const CLUSTERD_CLI = fileURLToPath(new URL('../../cmd/clusterd.js', import.meta.url));
/** How long a machine's Pods get to stop before the machine is killed. */
const STOP_GRACE_MS = 15_000;

export interface LocalProviderOptions {
  /** Where the machines' kubelets find the Kubernetes binaries (default: lib/kube-binaries' cache). */
  kubeCache?: string;
  /** What the host lacks (default: net.ts's check of this host); tests pass another host's facts. */
  missingPrerequisites?: () => string | undefined;
}

export class LocalProvider implements InfrastructureProvider {
  readonly name = 'local';
  readonly configSchema = localConfigSchema;
  private readonly logger: Logger;
  /** One provider operation at a time: address allocation and the shared bridge are read-modify-write on disk. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: ProviderContext, private readonly opts: LocalProviderOptions = {}) {
    this.logger = ctx.logger.child({ provider: 'local' });
    mkdirSync(ctx.dataDir, { recursive: true, mode: 0o700 });
  }

  validateConfig(config: Record<string, unknown>, fieldPath: string): FieldError[] {
    return validateLocalConfig(config, fieldPath);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private configFor(cluster: ClusterLike, machine?: MachineLike): { config: LocalConfig; errors: FieldError[] } {
    return validateProviderConfig<LocalConfig>(this, { ...cluster.spec?.infrastructure?.config, ...machine?.spec?.infrastructure?.config });
  }

  private checkNames(cluster: ClusterLike, machine?: MachineLike): string | undefined {
    for (const [what, v] of [['cluster namespace', nsOf(cluster)], ['cluster name', cluster.metadata.name], ['machine name', machine ? machine.metadata.name : 'x']] as const) {
      if (!v || !DNS_LABEL.test(v) || v.includes('..')) return `${what} ${JSON.stringify(v ?? '')} is not a DNS-1123 name`;
    }
    return undefined;
  }

  private clusterDir(cluster: ClusterLike): string {
    return join(this.ctx.dataDir, nsOf(cluster), cluster.metadata.name!);
  }

  private machineDir(cluster: ClusterLike, machineName: string): string {
    return join(this.clusterDir(cluster), 'machines', machineName);
  }

  /** Every record on disk: clusters and machines, for address allocation and the bridge's last-user check. */
  private allRecords(): { clusters: ClusterRecord[]; machines: MachineRecord[] } {
    const clusters: ClusterRecord[] = [];
    const machines: MachineRecord[] = [];
    for (const ns of safeReaddir(this.ctx.dataDir)) {
      for (const name of safeReaddir(join(this.ctx.dataDir, ns))) {
        const c = readJson<ClusterRecord>(join(this.ctx.dataDir, ns, name, 'cluster.json'));
        if (c) clusters.push(c);
        for (const m of safeReaddir(join(this.ctx.dataDir, ns, name, 'machines'))) {
          const r = readJson<MachineRecord>(recordPath(join(this.ctx.dataDir, ns, name, 'machines', m)));
          if (r) machines.push(r);
        }
      }
    }
    return { clusters, machines };
  }

  private allocateAddress(range: string): string {
    const { clusters, machines } = this.allRecords();
    const used = new Set([...clusters.map((c) => c.loadBalancer.host), ...machines.map((m) => m.address)]);
    const { base, size } = rangeInfo(range);
    for (let i = 2; i < size - 1; i++) {
      const a = ipString(base + i);
      if (!used.has(a)) return a;
    }
    throw new Error(`address range ${range} is exhausted`);
  }

  /** Undefined when the host can take the range, else the failed result that says what is wrong. */
  private hostCheck(range: string): OperationResult<never> | undefined {
    const missing = (this.opts.missingPrerequisites ?? missingPrerequisites)();
    if (missing) return failed('MissingPrerequisites', missing);
    const collisions = rangeCollisions(range);
    if (collisions.length > 0) return failed('AddressRangeInUse', `address range ${range} collides with the host's ${collisions.join(', ')}: set spec.infrastructure.config.addressRange to a free private range`);
    return undefined;
  }

  reconcileClusterInfrastructure({ cluster }: { cluster: ClusterLike }): Promise<OperationResult<{ ready: boolean; controlPlaneEndpoint?: { host: string; port: number } }>> {
    return this.serial(async () => {
      const bad = this.checkNames(cluster);
      if (bad) return failed('InvalidName', bad);
      const { config, errors } = this.configFor(cluster);
      if (errors.length > 0) return invalidConfig(errors);
      const dir = this.clusterDir(cluster);
      let rec = readJson<ClusterRecord>(join(dir, 'cluster.json'));
      if (!rec) {
        const problem = this.hostCheck(config.addressRange);
        if (problem) return problem;
        rec = {
          namespace: nsOf(cluster), name: cluster.metadata.name!, uid: cluster.metadata.uid, range: config.addressRange,
          bridge: bridgeName(config.addressRange), loadBalancer: { host: this.allocateAddress(config.addressRange), port: config.loadBalancerPort },
        };
        writeJsonAtomic(join(dir, 'cluster.json'), rec);
        this.logger.info({ cluster: `${rec.namespace}/${rec.name}`, range: rec.range, bridge: rec.bridge, endpoint: rec.loadBalancer }, 'cluster network: using address range');
      }
      ensureBridge(rec.range);
      addBridgeAddress(rec.bridge, rec.loadBalancer.host);
      if (!isRunning(rec.lbPid, dir)) {
        rec.lbPid = startDetached([process.execPath, LB_MAIN, dir], join(dir, 'lb.log'));
        writeJsonAtomic(join(dir, 'cluster.json'), rec);
      }
      return done({ ready: true, controlPlaneEndpoint: { ...rec.loadBalancer } });
    });
  }

  deleteClusterInfrastructure({ cluster }: { cluster: ClusterLike }): Promise<OperationResult<void>> {
    return this.serial(async () => {
      if (this.checkNames(cluster)) return done(undefined);
      const dir = this.clusterDir(cluster);
      const rec = readJson<ClusterRecord>(join(dir, 'cluster.json'));
      for (const m of safeReaddir(join(dir, 'machines'))) await this.destroyMachine(join(dir, 'machines', m));
      if (rec) {
        await stopDetached(rec.lbPid, dir, 5000);
        removeBridgeAddress(rec.bridge, rec.loadBalancer.host);
      }
      rmSync(dir, { recursive: true, force: true });
      if (rec) this.deleteBridgeIfUnused(rec.bridge);
      return done(undefined);
    });
  }

  private deleteBridgeIfUnused(bridge: string): void {
    const { clusters, machines } = this.allRecords();
    if (clusters.some((c) => c.bridge === bridge) || machines.some((m) => m.bridge === bridge)) return;
    if (bridgePorts(bridge).length > 0) return;
    deleteBridge(bridge);
    this.logger.info({ bridge }, 'bridge deleted: no machine is left on it');
  }

  private writeMembers(clusterDir: string): void {
    const members = safeReaddir(join(clusterDir, 'machines'))
      .map((m) => readJson<MachineRecord>(recordPath(join(clusterDir, 'machines', m))))
      .filter((r): r is MachineRecord => Boolean(r?.networkReady))
      .map((r) => ({ host: r.address, port: 6443 }));
    writeJsonAtomic(join(clusterDir, 'members.json'), members);
  }

  createOrGetMachine({ cluster, machine, userData }: { cluster: ClusterLike; machine: MachineLike; userData: string }): Promise<OperationResult<ProviderMachine>> {
    return this.serial(async () => {
      const bad = this.checkNames(cluster, machine);
      if (bad) return failed('InvalidName', bad);
      // The range and port are the cluster's (fixed when its network was made); a Machine's config is still checked.
      const { errors } = this.configFor(cluster, machine);
      if (errors.length > 0) return invalidConfig(errors);
      const crec = readJson<ClusterRecord>(join(this.clusterDir(cluster), 'cluster.json'));
      if (!crec) throw new Error('the cluster\'s infrastructure is not ready yet');
      const name = machine.metadata.name!;
      const dir = this.machineDir(cluster, name);
      let rec = readJson<MachineRecord>(recordPath(dir));
      if (rec && rec.uid && machine.metadata.uid && rec.uid !== machine.metadata.uid) {
        // A Machine of the same name was deleted and created again: the old machine is an orphan.
        await this.destroyMachine(dir);
        rec = undefined;
      }
      if (!rec) {
        if (!userData.startsWith('#cloud-config')) return failed('InvalidUserData', 'user-data must be a #cloud-config document');
        const problem = (this.opts.missingPrerequisites ?? missingPrerequisites)();
        if (problem) return failed('MissingPrerequisites', problem);
        const id = createHash('sha256').update(`${nsOf(machine)}/${cluster.metadata.name}/${name}/${machine.metadata.uid ?? ''}`).digest('hex').slice(0, 10);
        rec = {
          namespace: nsOf(machine), name, uid: machine.metadata.uid, cluster: cluster.metadata.name!,
          providerID: `local:///${nsOf(machine)}/${cluster.metadata.name}/${name}`,
          address: this.allocateAddress(crec.range), version: machine.spec?.version ?? 'v0.0.0',
          netns: `cld-${id}`, veth: `cldv${id}`, bridge: crec.bridge, range: crec.range, gateway: rangeInfo(crec.range).gateway,
          createdAt: new Date().toISOString(), networkReady: false, kubeCache: this.opts.kubeCache ?? kubeCacheDir(),
        };
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(userDataPath(dir), userData, { mode: 0o600 });
        mkdirSync(join(dir, 'bin'), { recursive: true });
        // The machine image's agent: this very clusterd.
        writeFileSync(join(dir, 'bin', 'clusterd'), `#!/bin/sh\nexec ${shq(process.execPath)} ${shq(CLUSTERD_CLI)} "$@"\n`);
        chmodSync(join(dir, 'bin', 'clusterd'), 0o755);
        writeJsonAtomic(recordPath(dir), rec);
        this.logger.info({ machine: name, providerID: rec.providerID, address: rec.address, netns: rec.netns }, 'machine created');
      }
      if (!rec.networkReady) {
        ensureBridge(rec.range);
        createMachineNet({ netns: rec.netns, veth: rec.veth, address: rec.address, bridge: rec.bridge, range: rec.range });
        rec.networkReady = true;
        writeJsonAtomic(recordPath(dir), rec);
        this.writeMembers(this.clusterDir(cluster));
      }
      if (!isRunning(rec.pid, dir)) {
        // First boot, or re-attach after the host lost the machine's processes: the supervisor skips cloud-init when
        // its first boot finished.
        rec.pid = startDetached([
          'ip', 'netns', 'exec', rec.netns, 'unshare', '--uts', '--mount', '--pid', '--fork', '--kill-child=SIGKILL', '--mount-proc',
          '--propagation', 'private', process.execPath, SUPERVISOR, dir,
        ], join(dir, 'supervisor.log'), { ...process.env, KUBE_CACHE: rec.kubeCache });
        writeJsonAtomic(recordPath(dir), rec);
        this.logger.info({ machine: name, pid: rec.pid }, 'machine started');
      }
      return done(this.providerMachine(rec));
    });
  }

  private providerMachine(r: MachineRecord): ProviderMachine {
    return { providerID: r.providerID, addresses: [{ type: 'InternalIP', address: r.address }, { type: 'Hostname', address: r.name }], state: 'Running' };
  }

  /** Stops the machine's processes (its PID namespace dies with them), then removes its network and its files. */
  private async destroyMachine(dir: string): Promise<void> {
    const rec = readJson<MachineRecord>(recordPath(dir));
    if (rec) {
      // SIGTERM to pid 1 of the machine (the supervisor) stops its Pods; SIGKILL to unshare takes the namespace down.
      await stopDetached(rec.pid, dir, STOP_GRACE_MS, () => (rec.pid ? childrenOf(rec.pid) : []));
      deleteMachineNet({ netns: rec.netns, veth: rec.veth });
    }
    rmSync(dir, { recursive: true, force: true });
    if (rec) {
      this.writeMembers(join(dir, '..', '..'));
      this.deleteBridgeIfUnused(rec.bridge);
    }
  }

  deleteMachine({ cluster, machine }: { cluster: ClusterLike; machine: MachineLike }): Promise<OperationResult<void>> {
    return this.serial(async () => {
      if (this.checkNames(cluster, machine)) return done(undefined);
      const dir = this.machineDir(cluster, machine.metadata.name!);
      if (existsSync(dir)) {
        await this.destroyMachine(dir);
        this.logger.info({ machine: machine.metadata.name }, 'machine deleted');
      }
      return done(undefined);
    });
  }

  async listMachines({ cluster }: { cluster: ClusterLike }): Promise<ListedMachine[]> {
    if (this.checkNames(cluster)) return [];
    const dir = join(this.clusterDir(cluster), 'machines');
    return safeReaddir(dir).map((m) => readJson<MachineRecord>(recordPath(join(dir, m)))).filter((r): r is MachineRecord => Boolean(r))
      .map((r) => ({ ...this.providerMachine(r), machineName: r.name, machineNamespace: r.namespace, machineUID: r.uid }));
  }

  /** The machine dir of a machine (tests and tools read its logs there). */
  machinePath(namespace: string, cluster: string, machine: string): string {
    return join(this.ctx.dataDir, namespace, cluster, 'machines', machine);
  }

  /** Nothing to release: machines and load balancers are detached and stay, as real machines do. */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
  }
}

const shq = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

export function createLocalProvider(ctx: ProviderContext, opts: LocalProviderOptions = {}): LocalProvider {
  return new LocalProvider(ctx, opts);
}
