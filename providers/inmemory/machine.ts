/**
 * One simulated machine: its record (what the "cloud" knows: address, state, fate), its root directory,
 * its boot (cloud-init, once per instance), and its kubelet. Records are files, so a restarted daemon
 * finds its machines again and re-attaches instead of booting them anew.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../lib/logging.js';
import { writeJsonAtomic, type MachineRecordBase } from '../shared/records.js';
import type { ProviderMachine } from '../types.js';
import { BOOT_FINISHED, parseUserData, runCloudInit, type AgentRunner } from './cloudinit.js';
import { SimKubelet, type PodHost } from './kubelet.js';

export interface MachineRecord extends MachineRecordBase {
  /** When the machine boots (creation + provisioning delay). */
  bootAt: number;
  state: 'Provisioning' | 'Running' | 'Failed';
  /** Decided at creation from failureRate: a healthy machine, one that never boots, one that dies later. */
  fate: 'Healthy' | 'NeverBoots' | 'FailsLater';
  failAfterMs: number;
  failureReason?: string;
  failureMessage?: string;
  /** The first boot's cloud-init run: what `cloud-init status` would say. */
  bootstrap?: { state: 'Running' | 'Succeeded' | 'Failed'; reason?: string; message?: string };
}


/** How long destroy() waits for the machine's processes to stop before removing it anyway. */
const DESTROY_STOP_TIMEOUT_MS = 10_000;

export interface MachineDeps {
  host: PodHost;
  runAgent: AgentRunner;
  logger: Logger;
  leaseRenewMs?: number;
  /** Bounds how many machines run cloud-init at once (a thousand joins at once starve each other). */
  bootSlots: Semaphore;
}

/** A counting semaphore. */
export class Semaphore {
  private readonly waiters: (() => void)[] = [];
  constructor(private free: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiters.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.free++;
    }
  }
}

export class SimMachine {
  private kubelet?: SimKubelet;
  private bootTimer?: NodeJS.Timeout;
  private failTimer?: NodeJS.Timeout;
  private stopped = false;
  private destroyed = false;

  constructor(
    readonly record: MachineRecord,
    /** <cluster dir>/instances/<name>: record (.json) and user-data (.user-data). */
    private readonly instanceBase: string,
    readonly root: string,
    private readonly deps: MachineDeps,
  ) {}

  static recordPath(instanceBase: string): string {
    return `${instanceBase}.json`;
  }

  /** Stores the record and user-data (0600: it carries bootstrap secrets), then schedules the boot. */
  static create(record: MachineRecord, instanceBase: string, root: string, userData: string, deps: MachineDeps): SimMachine {
    writeFileSync(`${instanceBase}.user-data`, userData, { mode: 0o600 });
    writeJsonAtomic(SimMachine.recordPath(instanceBase), record);
    return new SimMachine(record, instanceBase, root, deps);
  }

  get providerMachine(): ProviderMachine {
    const r = this.record;
    return {
      providerID: r.providerID,
      addresses: [{ type: 'InternalIP', address: r.address }, { type: 'Hostname', address: r.name }],
      state: r.state,
      ...(r.failureReason ? { failureReason: r.failureReason, failureMessage: r.failureMessage } : {}),
      ...(r.bootstrap ? { bootstrap: { ...r.bootstrap } } : {}),
    };
  }

  /** The Node name the kubelet registered, once it has. */
  get nodeName(): string | undefined {
    return this.kubelet?.node;
  }

  /** Boots when due, or re-attaches a machine that was running before the daemon restarted. */
  activate(): void {
    if (this.stopped) return;
    const r = this.record;
    if (r.state === 'Failed') return;
    if (r.state === 'Running') {
      void this.run();
      return;
    }
    if (r.fate === 'NeverBoots') return; // stays Provisioning, as a VM stuck in the cloud does
    const wait = Math.max(0, r.bootAt - Date.now());
    this.bootTimer = setTimeout(() => {
      this.bootTimer = undefined;
      r.state = 'Running';
      this.save();
      void this.run();
    }, wait);
  }

  /**
   * Writes the record, unless the machine is being destroyed: a boot or a failure finishing after destroy() removed
   * the record must not write it back, or the cloud would hold a machine no Machine owns.
   */
  private save(): void {
    if (this.destroyed) return;
    writeJsonAtomic(SimMachine.recordPath(this.instanceBase), this.record);
  }

  private async run(): Promise<void> {
    const r = this.record;
    // A first boot that was cut short (the daemon killed mid-cloud-init) left a half-written disk that kubeadm's
    // preflight rightly refuses ("manifests is not empty"). Start it over on a clean disk, as a cloud re-images an
    // instance whose first boot never finished; the joins it runs are idempotent towards the cluster.
    if (existsSync(this.root) && !existsSync(join(this.root, BOOT_FINISHED))) {
      this.deps.logger.info({ machine: r.name }, 'first boot did not finish; starting it over on a clean disk');
      rmSync(this.root, { recursive: true, force: true });
    }
    mkdirSync(this.root, { recursive: true });
    this.kubelet = new SimKubelet({
      machine: r.name, root: this.root, providerID: r.providerID, address: r.address, version: r.version,
      host: this.deps.host, logger: this.deps.logger, leaseRenewMs: this.deps.leaseRenewMs,
    });
    this.kubelet.start();
    if (r.fate === 'FailsLater') {
      this.failTimer = setTimeout(() => void this.fail('InstanceFailed', 'the simulated machine failed after booting (failureRate)'), r.failAfterMs);
    }
    // cloud-init runs once per instance; a re-attached machine only restarts its kubelet and static Pods.
    if (existsSync(join(this.root, BOOT_FINISHED))) return;
    r.bootstrap = { state: 'Running' };
    this.save();
    try {
      const cfg = parseUserData(readFileSync(`${this.instanceBase}.user-data`, 'utf8'));
      const res = await this.deps.bootSlots.run(() => (this.stopped ? Promise.resolve({ ok: false, failed: 'stopped' }) : runCloudInit(cfg, { root: this.root, runAgent: this.deps.runAgent, host: { hostname: r.name, defaultAddress: r.address, loopback: r.address } })));
      if (this.stopped) return; // a stopped machine's run ends as the machine does; its next boot runs it again
      if (!res.ok) this.deps.logger.warn({ machine: r.name, failed: res.failed }, 'cloud-init failed; see the machine\'s cloud-init-output.log');
      r.bootstrap = res.ok ? { state: 'Succeeded' } : { state: 'Failed', reason: 'BootstrapFailed', message: `cloud-init failed: ${res.failed ?? 'unknown error'}` };
    } catch (err) {
      if (this.stopped) return; // its user-data went with a destroy() meanwhile
      const msg = err instanceof Error ? err.message : String(err);
      this.deps.logger.warn({ machine: r.name, err: msg }, 'cloud-init could not run');
      r.bootstrap = { state: 'Failed', reason: 'BootstrapFailed', message: `cloud-init could not run: ${msg}` };
    }
    this.save();
  }

  private async fail(reason: string, message: string): Promise<void> {
    await this.stop();
    this.record.state = 'Failed';
    this.record.failureReason = reason;
    this.record.failureMessage = message;
    this.save();
  }

  /** Stops the machine's processes (kubelet and its static Pods); the disk stays. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.bootTimer, this.failTimer]) if (t) clearTimeout(t);
    // An agent still running in cloud-init (a join waiting for its CSR) cannot be killed in-process; it
    // finds its API gone and gives up on its own.
    await this.kubelet?.stop();
    this.kubelet = undefined;
  }

  /**
   * Stops it and removes its root and record. A stop that does not finish in time (a process that will not
   * die) must not leave the machine behind: deletion goes on, as a cloud terminates a hung instance.
   */
  async destroy(): Promise<void> {
    this.destroyed = true;
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      this.stop().then(() => true, () => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), DESTROY_STOP_TIMEOUT_MS); }),
    ]);
    clearTimeout(timer);
    if (!stopped) this.deps.logger.warn({ machine: this.record.name }, 'processes did not stop in time; removing the machine anyway');
    rmSync(this.root, { recursive: true, force: true });
    rmSync(`${this.instanceBase}.user-data`, { force: true });
    rmSync(SimMachine.recordPath(this.instanceBase), { force: true });
  }
}
