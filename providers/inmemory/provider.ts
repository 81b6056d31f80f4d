/**
 * The `inmemory` infrastructure provider: machines simulated in this process, bootstrapped for real.
 * Layout under the provider's data dir:
 *   <ns>/<cluster>/cluster.json                 load balancer address, address range
 *   <ns>/<cluster>/etcd/                        the cluster's store (shared by its API servers)
 *   <ns>/<cluster>/instances/<machine>.json     the machine record; .user-data beside it (0600)
 *   <ns>/<cluster>/machines/<machine>/          the machine's root filesystem
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../lib/logging.js';
import { invalidConfig, validateProviderConfig } from '../config.js';
import type { ClusterLike, FieldError, InfrastructureProvider, JSONSchemaProps, ListedMachine, MachineLike, OperationResult, ProviderContext, ProviderMachine } from '../types.js';
import { done, failed } from '../types.js';
import { AddressAllocator, checkRange, type AddressOwner } from './addresses.js';
import type { AgentRunner } from './cloudinit.js';
import { SimCluster, type ClusterRecord } from './cluster.js';
import { runAgent } from './deps.js';
import { readJson, safeReaddir, writeJsonAtomic } from '../shared/records.js';
import { Semaphore, SimMachine, type MachineRecord } from './machine.js';

export interface InMemoryConfig {
  flavor: 'small' | 'medium' | 'large';
  addressRange: string;
  loadBalancerPort: number;
  provisioningDelayMs: number;
  failureRate: number;
  failureMode: 'NeverBoots' | 'FailsLater';
  failAfterMs: number;
}

export const inMemoryConfigSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    flavor: { type: 'string', enum: ['small', 'medium', 'large'], default: 'small', description: 'Machine size. Simulated machines all behave alike; the flavor is recorded for the provider machine.' },
    addressRange: { type: 'string', default: '127.10.0.0/16', description: 'Loopback CIDR (inside 127.0.0.0/8) that machine and load balancer addresses come from.' },
    loadBalancerPort: { type: 'integer', minimum: 1, maximum: 65535, default: 6443, description: 'Port of the control-plane endpoint.' },
    provisioningDelayMs: { type: 'integer', minimum: 0, maximum: 3_600_000, default: 0, description: 'Time from creation to boot.' },
    failureRate: { type: 'number', minimum: 0, maximum: 1, default: 0, description: 'Fraction of machines that fail.' },
    failureMode: { type: 'string', enum: ['NeverBoots', 'FailsLater'], default: 'NeverBoots', description: 'How a failing machine fails.' },
    failAfterMs: { type: 'integer', minimum: 0, default: 5000, description: 'FailsLater: time from boot to failure.' },
  },
};

export interface InMemoryOptions {
  /** The agent runner (default: bootstrap's runAgent); tests may wrap it. */
  runAgent?: AgentRunner;
  /** Lease renewal interval of the simulated kubelets (default 10 s). */
  leaseRenewMs?: number;
  /** Machines running cloud-init at the same time (default 16); the rest queue, as at a cloud's rate limit. */
  maxConcurrentBoots?: number;
}

const nsOf = (o: { metadata: { namespace?: string } }): string => o.metadata.namespace ?? 'default';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class InMemoryProvider implements InfrastructureProvider {
  readonly name = 'inmemory';
  readonly configSchema = inMemoryConfigSchema;
  private readonly clusters = new Map<string, Promise<SimCluster>>();
  private readonly addresses = new AddressAllocator();
  private readonly logger: Logger;
  private closed = false;
  private readonly bootSlots: Semaphore;

  constructor(private readonly ctx: ProviderContext, private readonly opts: InMemoryOptions = {}) {
    // The registry's logger already carries provider: inmemory (binding it again repeated the key in every line).
    this.logger = ctx.logger;
    this.bootSlots = new Semaphore(opts.maxConcurrentBoots ?? 16);
    mkdirSync(ctx.dataDir, { recursive: true });
    this.reserveKnownAddresses();
  }

  validateConfig(config: Record<string, unknown>, fieldPath: string): FieldError[] {
    const range = config.addressRange;
    const why = typeof range === 'string' ? checkRange(range) : undefined;
    return why ? [{ type: 'FieldValueInvalid', field: `${fieldPath}.addressRange`, badValue: range, detail: why }] : [];
  }

  private configFor(cluster: ClusterLike, machine?: MachineLike): { config: InMemoryConfig; errors: FieldError[] } {
    const merged = { ...cluster.spec?.infrastructure?.config, ...machine?.spec?.infrastructure?.config };
    return validateProviderConfig<InMemoryConfig>(this, merged);
  }

  private clusterDir(ns: string, name: string): string {
    return join(this.ctx.dataDir, ns, name);
  }

  /** Addresses of every cluster and machine on disk, so a restarted provider never hands one out twice. */
  private reserveKnownAddresses(): void {
    for (const ns of safeReaddir(this.ctx.dataDir)) {
      for (const name of safeReaddir(join(this.ctx.dataDir, ns))) {
        const dir = this.clusterDir(ns, name);
        const rec = readJson<ClusterRecord>(join(dir, 'cluster.json'));
        if (rec) this.addresses.reserve(rec.loadBalancer.host, lbOwner(dir));
        for (const f of safeReaddir(join(dir, 'instances')).filter((x) => x.endsWith('.json'))) {
          const m = readJson<MachineRecord>(join(dir, 'instances', f));
          if (m) this.addresses.reserve(m.address, machineOwner(dir, m.name));
        }
      }
    }
  }

  private checkNames(cluster: ClusterLike, machine?: MachineLike): string | undefined {
    for (const [what, v] of [['cluster namespace', nsOf(cluster)], ['cluster name', cluster.metadata.name], ['machine name', machine ? machine.metadata.name : 'x']] as const) {
      if (!v || !DNS_LABEL.test(v) || v.includes('..')) return `${what} ${JSON.stringify(v ?? '')} is not a DNS-1123 name`;
    }
    return undefined;
  }

  /**
   * The cluster's in-process state, loading it from disk after a restart (and re-attaching its running
   * machines), or creating it when create is set.
   */
  private cluster(cluster: ClusterLike, cfg: InMemoryConfig | undefined): Promise<SimCluster | undefined> {
    const ns = nsOf(cluster);
    const name = cluster.metadata.name!;
    const key = `${ns}/${name}`;
    let p = this.clusters.get(key);
    if (!p) {
      const dir = this.clusterDir(ns, name);
      const existing = readJson<ClusterRecord>(join(dir, 'cluster.json'));
      if (!existing && !cfg) return Promise.resolve(undefined);
      p = (async () => {
        let rec = existing;
        if (!rec) {
          rec = {
            namespace: ns, name, uid: cluster.metadata.uid, addressRange: cfg!.addressRange,
            loadBalancer: { host: await this.addresses.allocate(cfg!.addressRange, lbOwner(dir), cfg!.loadBalancerPort), port: cfg!.loadBalancerPort },
          };
          writeJsonAtomic(join(dir, 'cluster.json'), rec);
        }
        const sim = new SimCluster(dir, rec, this.logger.child({ cluster: key }));
        await this.startLoadBalancer(sim);
        return sim;
      })().then((sim) => {
        const dir = sim.dir;
        for (const f of safeReaddir(join(dir, 'instances')).filter((x) => x.endsWith('.json'))) {
          const mrec = readJson<MachineRecord>(join(dir, 'instances', f));
          if (!mrec) continue;
          const m = new SimMachine(mrec, join(dir, 'instances', mrec.name), join(dir, 'machines', mrec.name), this.machineDeps(sim));
          sim.machines.set(mrec.name, m);
          m.activate();
        }
        return sim;
      });
      p.catch(() => this.clusters.delete(key));
      this.clusters.set(key, p);
    }
    return p;
  }

  /**
   * Starts the cluster's load balancer. Its address was free when allocated, but another process may have bound it
   * since (another clusterd on this host, before claims existed): a cluster that has no machine yet (so nothing has
   * the endpoint in a certificate or kubeconfig) moves to another address rather than failing the same bind for ever.
   */
  private async startLoadBalancer(sim: SimCluster): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await sim.startLoadBalancer();
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const hasMachines = safeReaddir(join(sim.dir, 'instances')).some((f) => f.endsWith('.json'));
        const { host, port } = sim.record.loadBalancer;
        if ((code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL') || hasMachines || attempt >= 8) {
          throw new Error(`control-plane endpoint ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`);
        }
        // Keep the taken address out of this provider's hands; its claim (if ours) goes.
        this.addresses.release(host, lbOwner(sim.dir));
        this.addresses.reserve(host);
        sim.record.loadBalancer.host = await this.addresses.allocate(sim.record.addressRange, lbOwner(sim.dir), port);
        writeJsonAtomic(join(sim.dir, 'cluster.json'), sim.record);
        this.logger.warn({ cluster: `${sim.record.namespace}/${sim.record.name}`, taken: `${host}:${port}`, endpoint: `${sim.record.loadBalancer.host}:${port}` }, 'control-plane endpoint address in use on this host; moved to another');
      }
    }
  }

  /**
   * Removes what is on disk for a cluster (or one machine) whose in-process state cannot be loaded (its load balancer
   * cannot bind, say): deleting what never got infrastructure must finish.
   */
  private removeOffline(cluster: ClusterLike, machineName?: string): void {
    const dir = this.clusterDir(nsOf(cluster), cluster.metadata.name!);
    const names = machineName ? [machineName] : safeReaddir(join(dir, 'instances')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    for (const n of names) {
      const m = readJson<MachineRecord>(join(dir, 'instances', `${n}.json`));
      if (m) this.addresses.release(m.address, machineOwner(dir, n));
      for (const f of [`${n}.json`, `${n}.user-data`]) rmSync(join(dir, 'instances', f), { force: true });
      rmSync(join(dir, 'machines', n), { recursive: true, force: true });
    }
    if (!machineName) {
      const rec = readJson<ClusterRecord>(join(dir, 'cluster.json'));
      if (rec) this.addresses.release(rec.loadBalancer.host, lbOwner(dir));
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private machineDeps(sim: SimCluster) {
    return { host: sim, runAgent: this.opts.runAgent ?? runAgent, logger: this.logger, leaseRenewMs: this.opts.leaseRenewMs, bootSlots: this.bootSlots };
  }

  async reconcileClusterInfrastructure({ cluster }: { cluster: ClusterLike }): Promise<OperationResult<{ ready: boolean; controlPlaneEndpoint?: { host: string; port: number } }>> {
    const bad = this.checkNames(cluster);
    if (bad) return failed('InvalidName', bad);
    const { config, errors } = this.configFor(cluster);
    if (errors.length > 0) return invalidConfig(errors);
    const sim = (await this.cluster(cluster, config))!;
    return done({ ready: true, controlPlaneEndpoint: { ...sim.endpoint } });
  }

  async deleteClusterInfrastructure({ cluster }: { cluster: ClusterLike }): Promise<OperationResult<void>> {
    if (this.checkNames(cluster)) return done(undefined);
    let sim: SimCluster | undefined;
    try {
      sim = await this.cluster(cluster, undefined);
    } catch (err) {
      this.logger.warn({ cluster: `${nsOf(cluster)}/${cluster.metadata.name}`, err: err instanceof Error ? err.message : String(err) }, 'cluster infrastructure cannot be loaded; removing it from disk');
      this.removeOffline(cluster);
      return done(undefined);
    }
    if (sim) {
      this.clusters.delete(`${nsOf(cluster)}/${cluster.metadata.name}`);
      for (const m of sim.machines.values()) this.addresses.release(m.record.address, machineOwner(sim.dir, m.record.name));
      this.addresses.release(sim.record.loadBalancer.host, lbOwner(sim.dir));
      await sim.destroy();
    }
    return done(undefined);
  }

  async createOrGetMachine({ cluster, machine, userData }: { cluster: ClusterLike; machine: MachineLike; userData: string }): Promise<OperationResult<ProviderMachine>> {
    const bad = this.checkNames(cluster, machine);
    if (bad) return failed('InvalidName', bad);
    const { config, errors } = this.configFor(cluster, machine);
    if (errors.length > 0) return invalidConfig(errors);
    const sim = (await this.cluster(cluster, config))!;
    const name = machine.metadata.name!;
    let m = sim.machines.get(name);
    if (m && m.record.uid && machine.metadata.uid && m.record.uid !== machine.metadata.uid) {
      // A Machine of the same name was deleted and created again: the old instance is an orphan.
      this.addresses.release(m.record.address, machineOwner(sim.dir, name));
      await m.destroy();
      sim.machines.delete(name);
      m = undefined;
    }
    if (!m) {
      if (!userData.startsWith('#cloud-config')) return failed('InvalidUserData', 'user-data must be a #cloud-config document');
      const fate = fateOf(machine, config);
      const rec: MachineRecord = {
        namespace: nsOf(machine), name, uid: machine.metadata.uid, cluster: cluster.metadata.name!,
        providerID: `inmemory:///${nsOf(machine)}/${cluster.metadata.name}/${name}`,
        address: await this.addresses.allocate(config.addressRange, machineOwner(sim.dir, name), MACHINE_PORT),
        version: machine.spec?.version ?? 'v0.0.0',
        createdAt: new Date().toISOString(),
        bootAt: Date.now() + config.provisioningDelayMs,
        state: 'Provisioning', fate, failAfterMs: config.failAfterMs,
      };
      const dir = sim.dir;
      mkdirSync(join(dir, 'instances'), { recursive: true });
      m = SimMachine.create(rec, join(dir, 'instances', name), join(dir, 'machines', name), userData, this.machineDeps(sim));
      sim.machines.set(name, m);
      m.activate();
      this.logger.info({ machine: name, providerID: rec.providerID, address: rec.address }, 'machine created');
    }
    const pm = m.providerMachine;
    if (pm.state === 'Failed') return failed(pm.failureReason ?? 'InstanceFailed', pm.failureMessage ?? 'the machine failed');
    return done(pm);
  }

  async deleteMachine({ cluster, machine }: { cluster: ClusterLike; machine: MachineLike }): Promise<OperationResult<void>> {
    if (this.checkNames(cluster, machine)) return done(undefined);
    let sim: SimCluster | undefined;
    try {
      sim = await this.cluster(cluster, undefined);
    } catch (err) {
      this.logger.warn({ machine: machine.metadata.name, err: err instanceof Error ? err.message : String(err) }, 'cluster infrastructure cannot be loaded; removing the machine from disk');
      this.removeOffline(cluster, machine.metadata.name!);
      return done(undefined);
    }
    const m = sim?.machines.get(machine.metadata.name!);
    if (sim && m) {
      sim.machines.delete(m.record.name);
      this.addresses.release(m.record.address, machineOwner(sim.dir, m.record.name));
      await m.destroy();
      this.logger.info({ machine: m.record.name }, 'machine deleted');
    }
    return done(undefined);
  }

  async listMachines({ cluster }: { cluster: ClusterLike }): Promise<ListedMachine[]> {
    if (this.checkNames(cluster)) return [];
    const sim = await this.cluster(cluster, undefined);
    return [...(sim?.machines.values() ?? [])].map((m) => ({
      ...m.providerMachine, machineName: m.record.name, machineNamespace: m.record.namespace, machineUID: m.record.uid,
    }));
  }

  /** The simulated cluster, for tests and the bench (undefined until the provider has seen it). */
  async simulatedCluster(namespace: string, name: string): Promise<SimCluster | undefined> {
    return this.clusters.get(`${namespace}/${name}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.clusters.values()];
    this.clusters.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }
}

/** Deterministic per Machine, so a re-created provider decides the same; a uniform draw from its name and uid. */
function fateOf(machine: MachineLike, cfg: InMemoryConfig): MachineRecord['fate'] {
  if (cfg.failureRate <= 0) return 'Healthy';
  const h = createHash('sha256').update(`${nsOf(machine)}/${machine.metadata.name}/${machine.metadata.uid ?? ''}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < cfg.failureRate ? cfg.failureMode : 'Healthy';
}


/** The port a machine's address must be free on: the kube-apiserver of a control-plane machine binds it. */
const MACHINE_PORT = 6443;
const lbOwner = (dir: string): AddressOwner => ({ record: join(dir, 'cluster.json'), field: 'loadBalancer.host' });
const machineOwner = (dir: string, name: string): AddressOwner => ({ record: join(dir, 'instances', `${name}.json`), field: 'address' });

export function createInMemoryProvider(ctx: ProviderContext, opts: InMemoryOptions = {}): InMemoryProvider {
  return new InMemoryProvider(ctx, opts);
}
