/**
 * The simulated kubelet of one machine. Like the real one it
 *   - runs the static Pods in <root>/etc/kubernetes/manifests (watched with fs.watch after an initial scan),
 *     here by starting in-process components through the cluster host;
 *   - once <root>/etc/kubernetes/kubelet.conf exists (at once on control planes, after TLS bootstrap on
 *     workers), registers its Node with those credentials: providerID, labels and taints from kubeadm's
 *     flags file, addresses, Ready, nodeInfo.kubeletVersion;
 *   - renews its Lease in kube-node-lease every 10 s.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../lib/logging.js';
import { parseKubeconfig } from '../../lib/kubeconfig.js';
import { nodeNameOfCert, registrationOf } from '../kubelet-node.js';
import { createNode, healthyNodeConditions, renewNodeLease } from '../shared/node-upkeep.js';
import { SyncLoop } from '../shared/sync-loop.js';
import { KubeClient } from './kubeclient.js';
import { parseFlags, parseStaticPod, type StaticPod } from './staticpods.js';

/** What the kubelet asks of the machine's cluster to run a static Pod. */
export interface PodHost {
  startPod(machine: string, root: string, pod: StaticPod): Promise<void>;
  stopPod(machine: string, component: string): Promise<void>;
}

export interface KubeletOptions {
  machine: string;
  root: string;
  providerID: string;
  address: string;
  version: string;
  host: PodHost;
  logger: Logger;
  /** Lease renewal interval; default 10 s, as the kubelet's nodeLeaseDurationSeconds/4. */
  leaseRenewMs?: number;
}


export class SimKubelet {
  private readonly watchers: FSWatcher[] = [];
  private readonly running = new Map<string, StaticPod>();
  private readonly failedPods = new Map<string, string>();
  private retryTimer?: NodeJS.Timeout;
  private leaseTimer?: NodeJS.Timeout;
  private readonly loop = new SyncLoop(() => this.sync(), (err) => this.o.logger.warn({ machine: this.o.machine, err: String(err) }, 'kubelet sync failed'));
  private client?: KubeClient;
  private nodeName?: string;
  private nodeUID?: string;
  private registered = false;
  private stopped = false;

  constructor(private readonly o: KubeletOptions) {}

  get manifestsDir(): string {
    return join(this.o.root, 'etc/kubernetes/manifests');
  }

  /** The Node this kubelet registered, once it has. */
  get node(): string | undefined {
    return this.registered ? this.nodeName : undefined;
  }

  start(): void {
    mkdirSync(this.manifestsDir, { recursive: true });
    for (const dir of [join(this.o.root, 'etc/kubernetes'), this.manifestsDir]) {
      const w = watch(dir, () => this.schedule(20));
      w.on('error', () => this.schedule(20));
      this.watchers.push(w);
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.loop.stop();
    for (const component of [...this.running.keys()]) await this.o.host.stopPod(this.o.machine, component).catch(() => undefined);
    this.running.clear();
    this.client?.close();
  }

  private schedule(delayMs: number): void {
    this.loop.schedule(delayMs);
  }

  /** Retries what failed (a pod that crashed on start, registration against an API not up yet) with backoff. */
  private retryLater(ms: number): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule(0);
    }, ms);
    this.retryTimer.unref();
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    await this.syncPods();
    if (!this.registered && existsSync(join(this.o.root, 'etc/kubernetes/kubelet.conf'))) {
      try {
        await this.register();
      } catch (err) {
        this.o.logger.debug({ machine: this.o.machine, err: err instanceof Error ? err.message : String(err) }, 'node registration failed; retrying');
        this.retryLater(500);
      }
    }
  }

  private async syncPods(): Promise<void> {
    const want = new Map<string, StaticPod>();
    let files: string[] = [];
    try {
      files = readdirSync(this.manifestsDir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml') || f.endsWith('.json'));
    } catch {
      // the directory may be recreated under us; the watch calls again
    }
    for (const f of files) {
      try {
        const pod = parseStaticPod(readFileSync(join(this.manifestsDir, f), 'utf8'));
        want.set(pod.component, pod);
      } catch {
        // half-written or invalid manifest: the kubelet ignores it until it parses
      }
    }
    for (const [component, pod] of this.running) {
      if (want.get(component)?.hash !== pod.hash) {
        await this.o.host.stopPod(this.o.machine, component).catch(() => undefined);
        this.running.delete(component);
      }
    }
    for (const [component, pod] of want) {
      if (this.running.has(component) || this.stopped) continue;
      try {
        await this.o.host.startPod(this.o.machine, this.o.root, pod);
        this.running.set(component, pod);
        this.failedPods.delete(component);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (this.failedPods.get(component) !== msg) this.o.logger.info({ machine: this.o.machine, component, err: msg }, 'static pod failed to start; retrying');
        this.failedPods.set(component, msg);
        this.retryLater(1000);
      }
    }
  }

  private kubeletFlags(): Map<string, string> {
    const env = join(this.o.root, 'var/lib/kubelet/kubeadm-flags.env');
    if (!existsSync(env)) return new Map();
    const m = readFileSync(env, 'utf8').match(/KUBELET_KUBEADM_ARGS="?([^"\n]*)"?/);
    return parseFlags((m?.[1] ?? '').split(/\s+/).filter(Boolean));
  }

  private async register(): Promise<void> {
    const text = readFileSync(join(this.o.root, 'etc/kubernetes/kubelet.conf'), 'utf8');
    const kc = parseKubeconfig(text);
    const certPem = kc.clientCertPem ?? (kc.clientCertificatePath ? readFileSync(join(this.o.root, kc.clientCertificatePath), 'utf8') : undefined);
    if (!certPem) throw new Error('kubelet.conf has no client certificate');
    this.nodeName = nodeNameOfCert(certPem);
    this.client ??= KubeClient.fromKubeconfig(text, { maxSockets: 1, root: this.o.root });
    const flags = this.kubeletFlags();
    const { labels, taints } = registrationOf(this.nodeName, flags);
    const path = `/api/v1/nodes/${this.nodeName}`;
    const existing = await this.client.getOrUndefined(path);
    if (!existing) {
      this.nodeUID = (await createNode(this.client, { nodeName: this.nodeName, providerID: this.o.providerID, labels, taints })).metadata.uid;
    } else {
      // A re-registering kubelet (machine restarted) keeps what others added, and re-asserts its own fields.
      this.nodeUID = (await this.client.mergePatch(path, { metadata: { labels }, spec: { providerID: this.o.providerID } })).metadata.uid;
    }
    await this.client.mergePatch(`${path}/status`, { status: this.nodeStatus() });
    await this.renewLease();
    this.registered = true;
    this.o.logger.info({ machine: this.o.machine, node: this.nodeName }, 'node registered');
    const every = this.o.leaseRenewMs ?? 10_000;
    // Spread renewals so a thousand kubelets started together do not renew in lockstep.
    setTimeout(() => {
      if (this.stopped) return;
      void this.renewLease().catch(() => undefined);
      this.leaseTimer = setInterval(() => void this.renewLease().catch(() => undefined), every);
      this.leaseTimer.unref();
    }, Math.floor(Math.random() * every)).unref();
  }

  private nodeStatus(): Record<string, unknown> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return {
      conditions: healthyNodeConditions(now),
      addresses: [{ type: 'InternalIP', address: this.o.address }, { type: 'Hostname', address: this.nodeName }],
      capacity: { cpu: '2', memory: '4015024Ki', pods: '110', 'ephemeral-storage': '20134592Ki' },
      allocatable: { cpu: '2', memory: '3912624Ki', pods: '110', 'ephemeral-storage': '18556039957' },
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: this.o.providerID.replace(/[^a-z0-9]/gi, '').slice(-32), systemUUID: this.o.providerID, bootID: this.o.machine,
        kernelVersion: '6.1.0-clusterd', osImage: 'clusterd inmemory', containerRuntimeVersion: 'containerd://1.7.0 (simulated)',
        kubeletVersion: this.o.version, kubeProxyVersion: this.o.version, operatingSystem: 'linux', architecture: 'amd64',
      },
    };
  }

  private async renewLease(): Promise<void> {
    if (!this.client || !this.nodeName || this.stopped) return;
    await renewNodeLease(this.client, this.nodeName, this.nodeUID);
  }
}
