/**
 * One workload cluster in the in-memory provider: its load balancer (the control-plane endpoint), its
 * store (stacked etcd, simulated: one store shared by every member's API server), its machines, and the
 * static Pods they run. Control-plane components are started here on the kubelets' behalf.
 *
 * Leader election for kube-controller-manager is by construction: every member's controller-manager is
 * a candidate, and exactly one (the oldest still running) acts; when it stops, the next one takes over.
 * All candidates live in this process, so this gives what the Lease-based election gives a real cluster.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../lib/logging.js';
import { openStorage, startApiServer, type ApiServerHandle, type Storage } from './deps.js';
import { ControllerManager } from './controller-manager.js';
import { KubeClient } from './kubeclient.js';
import { LoadBalancer } from './lb.js';
import { startHealthServer, type HealthOptions, type HealthServer } from './healthz.js';
import type { SimMachine } from './machine.js';
import type { PodHost } from './kubelet.js';
import { imageVersion, readFlagFile, type StaticPod } from './staticpods.js';
import { SimEtcd } from './etcd.js';

/** How long a stopping member's API server keeps serving after it left the load balancer. */
const API_SERVER_DRAIN_MS = 1000;

export interface ClusterRecord {
  namespace: string;
  name: string;
  uid?: string;
  addressRange: string;
  loadBalancer: { host: string; port: number };
}

interface ApiMember {
  handle: ApiServerHandle;
  host: string;
  port: number;
}

interface KcmCandidate {
  machine: string;
  create(): Promise<ControllerManager>;
}

export class SimCluster implements PodHost {
  readonly machines = new Map<string, SimMachine>();
  private lb?: LoadBalancer;
  private storage?: Storage;
  private readonly apiServers = new Map<string, ApiMember>();
  private readonly kcmCandidates: KcmCandidate[] = [];
  private activeKcm?: { machine: string; cm?: ControllerManager };
  private kcmRetry?: NodeJS.Timeout;
  private closed = false;
  /** The cluster's simulated etcd membership, answering etcd's JSON API on each member's client URL. */
  private simEtcd?: SimEtcd;
  /** The etcd member each machine runs: machine → member ID. */
  private readonly etcdMemberOf = new Map<string, string>();
  /** How long a joining etcd member takes to catch up with the leader before it reports healthy (and may be promoted). */
  static etcdCatchUpMs = 300;
  /** Components each machine runs, for `kubectl`-less inspection in tests and the bench. */
  readonly pods = new Map<string, Set<string>>();
  /** The health endpoints of each machine's controller-manager and scheduler, by `machine/component`. */
  private readonly healthServers = new Map<string, HealthServer>();

  constructor(readonly dir: string, readonly record: ClusterRecord, private readonly logger: Logger) {}

  get endpoint(): { host: string; port: number } {
    return this.record.loadBalancer;
  }

  async startLoadBalancer(): Promise<void> {
    if (this.lb) return;
    const lb = new LoadBalancer({ ...this.record.loadBalancer, logger: this.logger });
    await lb.start();
    lb.setBackends([...this.apiServers.values()].map((m) => ({ host: m.host, port: m.port })));
    this.lb = lb;
  }

  /** Members the load balancer forwards to, and whether they pass its health check. */
  loadBalancerBackends(): { host: string; port: number; healthy: boolean }[] {
    return this.lb?.backends() ?? [];
  }

  /** The cluster's shared store, opened on first use (the first API server). */
  store(): Storage {
    if (!this.storage) {
      mkdirSync(join(this.dir, 'etcd'), { recursive: true });
      this.storage = openStorage({ dataDir: join(this.dir, 'etcd') });
    }
    return this.storage;
  }

  async startPod(machine: string, root: string, pod: StaticPod): Promise<void> {
    switch (pod.component) {
      case 'kube-apiserver': await this.startApiServer(machine, root, pod); break;
      case 'kube-controller-manager':
        this.addKcmCandidate(machine, root, pod);
        await this.startHealth(machine, pod, 10257);
        break;
      case 'kube-scheduler': await this.startHealth(machine, pod, 10259); break;
      case 'etcd': {
        await this.startEtcd(machine, root, pod);
        // its /health on --listen-metrics-urls: a member joining an existing cluster replicates the log first
        const joining = pod.flags.get('initial-cluster-state') === 'existing';
        const ready = Date.now() + (joining ? SimCluster.etcdCatchUpMs : 0);
        const metrics = new URL((pod.flags.get('listen-metrics-urls') ?? 'http://127.0.0.1:2381').split(',')[0]!);
        await this.startHealth(machine, pod, Number(metrics.port || 2381), { scheme: 'http', healthy: () => Date.now() >= ready }, metrics.hostname);
        break;
      }
      default: break; // kube-scheduler and others: nothing to schedule in a simulated cluster
    }
    const set = this.pods.get(machine) ?? new Set<string>();
    set.add(pod.component);
    this.pods.set(machine, set);
  }

  async stopPod(machine: string, component: string): Promise<void> {
    this.pods.get(machine)?.delete(component);
    switch (component) {
      case 'kube-apiserver': {
        const m = this.apiServers.get(machine);
        this.apiServers.delete(machine);
        if (m) {
          this.lb?.removeBackend({ host: m.host, port: m.port });
          // Drain, as kube-apiserver's graceful shutdown does: a connection the load balancer handed over just before
          // the member left finishes its handshake and request; closing at once cut such a client off mid-TLS.
          await new Promise((r) => setTimeout(r, API_SERVER_DRAIN_MS));
          await m.handle.close();
        }
        break;
      }
      case 'kube-controller-manager':
        this.removeKcmCandidate(machine);
        await this.stopHealth(machine, component);
        break;
      case 'kube-scheduler': await this.stopHealth(machine, component); break;
      case 'etcd': {
        const id = this.etcdMemberOf.get(machine);
        this.etcdMemberOf.delete(machine);
        if (id) await this.etcd().stop(id);
        await this.stopHealth(machine, component);
        break;
      }
      default: break;
    }
  }

  /** The simulated etcd, opened on first use (its membership file lives with the cluster's store). */
  etcd(): SimEtcd {
    this.simEtcd ??= new SimEtcd(join(this.dir, 'etcd', 'members.json'), SimCluster.etcdCatchUpMs);
    return this.simEtcd;
  }

  /** The etcd membership as `etcdctl member list` shows it, with whether each member's process runs. */
  etcdMembership(): { name: string; peerURL: string; learner: boolean; running: boolean }[] {
    return this.etcd().list().map((m) => ({ name: m.name, peerURL: m.peerURLs[0] ?? '', learner: m.isLearner, running: m.running }));
  }

  /**
   * Starts the machine's member as etcd would from its static Pod's flags (refused, like a crashing container, when
   * it was never added), serving its client URL on the machine's address with its own certificates.
   */
  private async startEtcd(machine: string, root: string, pod: StaticPod): Promise<void> {
    const f = pod.flags;
    const address = this.machines.get(machine)?.record.address;
    const client = new URL((f.get('advertise-client-urls') ?? '').split(',')[0] || `https://${address}:2379`);
    const host = client.hostname === '127.0.0.1' || client.hostname === 'localhost' ? address : client.hostname;
    const id = this.etcd().start({
      name: f.get('name') ?? machine,
      peerURL: (f.get('initial-advertise-peer-urls') ?? '').split(',')[0] ?? '',
      clientURLs: (f.get('advertise-client-urls') ?? '').split(',').filter(Boolean),
      initialCluster: f.get('initial-cluster') ?? '',
      state: f.get('initial-cluster-state') === 'existing' ? 'existing' : 'new',
    });
    this.etcdMemberOf.set(machine, id);
    if (!host) return;
    await this.etcd().serve(id, {
      host, port: Number(client.port || 2379),
      certPem: readFlagFile(root, f, 'cert-file'), keyPem: readFlagFile(root, f, 'key-file'), clientCAPem: readFlagFile(root, f, 'trusted-ca-file'),
    });
  }

  /** The component's health endpoint at its --bind-address:--secure-port, 127.0.0.1 being the machine's own address. */
  private async startHealth(machine: string, pod: StaticPod, defaultPort: number, opts: HealthOptions = {}, bindHost?: string): Promise<void> {
    const address = this.machines.get(machine)?.record.address;
    if (!address) return;
    const bind = bindHost ?? pod.flags.get('bind-address') ?? '127.0.0.1';
    const host = bind === '127.0.0.1' || bind === '0.0.0.0' || bind === 'localhost' ? address : bind;
    const key = `${machine}/${pod.component}`;
    await this.stopHealth(machine, pod.component);
    const port = opts.scheme === 'http' ? defaultPort : Number(pod.flags.get('secure-port') ?? defaultPort);
    this.healthServers.set(key, await startHealthServer(host, port, opts));
  }

  private async stopHealth(machine: string, component: string): Promise<void> {
    const key = `${machine}/${component}`;
    const h = this.healthServers.get(key);
    this.healthServers.delete(key);
    await h?.close();
  }

  /**
   * A crashed member: its API server stops answering, but the load balancer is not told (it must notice
   * by itself, as a cloud LB does). For tests of the endpoint's resilience.
   */
  async crashApiServer(machine: string): Promise<void> {
    const m = this.apiServers.get(machine);
    this.apiServers.delete(machine);
    this.pods.get(machine)?.delete('kube-apiserver');
    await m?.handle.close();
    this.removeKcmCandidate(machine);
  }

  private async startApiServer(machine: string, root: string, pod: StaticPod): Promise<void> {
    const f = pod.flags;
    const bind = f.get('bind-address');
    const host = bind && bind !== '0.0.0.0' ? bind : f.get('advertise-address');
    if (!host) throw new Error('kube-apiserver: --advertise-address is not set');
    const port = Number(f.get('secure-port') ?? '6443');
    const modes = (f.get('authorization-mode') ?? 'AlwaysAllow').split(',');
    const handle = await startApiServer({
      port,
      bindAddress: host,
      storage: this.store(),
      tls: { certPem: readFlagFile(root, f, 'tls-cert-file'), keyPem: readFlagFile(root, f, 'tls-private-key-file') },
      clientCA: { certPem: readFlagFile(root, f, 'client-ca-file') },
      enableBootstrapTokenAuth: f.get('enable-bootstrap-token-auth') === 'true',
      anonymous: f.get('anonymous-auth') !== 'false',
      authorization: modes.includes('RBAC') ? 'RBAC' : 'AlwaysAllow',
      nodeAuthorizer: modes.includes('Node'),
      nodeRestriction: (f.get('enable-admission-plugins') ?? '').split(',').includes('NodeRestriction'),
      logger: this.logger.child({ component: 'kube-apiserver', machine }),
      // /version says what the manifest runs, as the real binary of that image would
      ...(imageVersion(pod) ? { kubernetesVersion: imageVersion(pod) } : {}),
    });
    this.apiServers.set(machine, { handle, host, port });
    this.lb?.addBackend({ host, port });
  }

  private addKcmCandidate(machine: string, root: string, pod: StaticPod): void {
    const f = pod.flags;
    // Read the files now, so a manifest pointing at missing files fails like a crashing container.
    const kubeconfig = readFlagFile(root, f, 'kubeconfig');
    const signingCA = { certPem: readFlagFile(root, f, 'cluster-signing-cert-file'), keyPem: readFlagFile(root, f, 'cluster-signing-key-file') };
    const days = f.get('cluster-signing-duration');
    const create = async (): Promise<ControllerManager> => new ControllerManager({
      client: this.kcmClient(kubeconfig),
      signingCA,
      signingDurationDays: days ? Math.max(1, Math.round(parseDurationHours(days) / 24)) : undefined,
      logger: this.logger.child({ component: 'kube-controller-manager', machine }),
    });
    this.removeKcmCandidate(machine);
    this.kcmCandidates.push({ machine, create });
    this.electKcm();
  }

  /** The controller-manager's client, with its own identity (controller-manager.conf), as the real one runs. */
  private kcmClient(kubeconfig: string): KubeClient {
    return KubeClient.fromKubeconfig(kubeconfig, { maxSockets: 8 });
  }

  private removeKcmCandidate(machine: string): void {
    const i = this.kcmCandidates.findIndex((c) => c.machine === machine);
    if (i >= 0) this.kcmCandidates.splice(i, 1);
    if (this.activeKcm?.machine === machine) {
      this.activeKcm.cm?.stop();
      this.activeKcm = undefined;
      this.electKcm();
    }
  }

  private electKcm(): void {
    if (this.activeKcm || this.kcmCandidates.length === 0 || this.closed) return;
    const leader = this.kcmCandidates[0]!;
    const slot: { machine: string; cm?: ControllerManager } = { machine: leader.machine };
    this.activeKcm = slot;
    leader.create().then((cm) => {
      if (this.activeKcm !== slot) {
        cm.stop();
        return;
      }
      slot.cm = cm;
      cm.start();
      this.logger.info({ leader: leader.machine }, 'kube-controller-manager leader');
    }, () => {
      // Its API server is not answering yet: try again shortly, as a restarting container would.
      if (this.activeKcm !== slot) return;
      this.activeKcm = undefined;
      this.kcmRetry ??= setTimeout(() => {
        this.kcmRetry = undefined;
        this.electKcm();
      }, 500);
    });
  }

  /** The machine whose controller-manager is acting. */
  get controllerManagerLeader(): string | undefined {
    return this.activeKcm?.machine;
  }

  /** Stops every machine's processes, the load balancer and the store; the disk stays. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.kcmRetry) clearTimeout(this.kcmRetry);
    await Promise.all([...this.machines.values()].map((m) => m.stop()));
    this.activeKcm?.cm?.stop();
    this.activeKcm = undefined;
    await Promise.all([...this.apiServers.values()].map((m) => m.handle.close()));
    this.apiServers.clear();
    await Promise.all([...this.healthServers.values()].map((h) => h.close()));
    this.healthServers.clear();
    await this.lb?.close();
    this.lb = undefined;
    await this.simEtcd?.close();
    this.etcdMemberOf.clear();
    this.storage?.close();
    this.storage = undefined;
  }

  /** close(), then remove the cluster's directory: machines' roots, records and store. */
  async destroy(): Promise<void> {
    await Promise.all([...this.machines.values()].map((m) => m.destroy()));
    this.machines.clear();
    await this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** "8760h0m0s" / "720h" / "30m" → hours. */
function parseDurationHours(d: string): number {
  let hours = 0;
  for (const [, n, unit] of d.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) {
    hours += Number(n) / (unit === 'h' ? 1 : unit === 'm' ? 60 : 3600);
  }
  return hours || 8760;
}
