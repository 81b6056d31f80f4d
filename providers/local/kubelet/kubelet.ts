/**
 * clusterd's process kubelet, inside a local machine. Like the real one it
 *   - runs the static Pods in /etc/kubernetes/manifests (re-read on change and every few seconds), each container a
 *     process (container.ts) of the binary its image names (images.ts); a changed manifest restarts its Pod;
 *   - once /etc/kubernetes/kubelet.conf exists, registers its Node with those credentials (labels and taints from
 *     kubeadm's flags file, the machine's address, capacity, kubeletVersion), renews its Lease in kube-node-lease,
 *     and keeps the Node's Ready condition fresh;
 *   - posts a mirror Pod for each static Pod, owned by its Node, and its status: a container is reported Running
 *     only while its process runs, Ready only after its readiness probe (or, without one, its start) succeeded;
 *   - runs the Pods the scheduler binds to its Node (kube-proxy's DaemonSet, CoreDNS) the same way, their volumes made
 *     as the kubelet makes them (pod-volumes.ts), deletes them from the API once their processes are gone;
 *   - records a Warning Event when a Pod's image maps to no built binary, and reports that container Waiting.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Logger } from '../../../lib/logging.js';
import { parseKubeconfig } from '../../../lib/kubeconfig.js';
import { ApiError, KubeClient, type KubeObject } from '../../inmemory/kubeclient.js';
import { nodeNameOfCert, registrationOf } from '../../kubelet-node.js';
import { createNode, healthyNodeConditions, renewNodeLease } from '../../shared/node-upkeep.js';
import { SyncLoop } from '../../shared/sync-loop.js';
import { parseFlags } from '../../inmemory/staticpods.js';
import { prepareHostPath, ProcessContainer, type Bind, type ContainerSpec, type ContainerState } from './container.js';
import { containerCommand, containerEnv } from './container-env.js';
import { resolveImage } from './images.js';
import { podDir, preparePodVolumes, VOLUME_REFRESH_MS, type BoundPod, type PodVolume } from './pod-volumes.js';

export const MANIFESTS_DIR = '/etc/kubernetes/manifests';
export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
export const KUBEADM_FLAGS = '/var/lib/kubelet/kubeadm-flags.env';

interface PodManifest {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec: {
    containers: ContainerSpec[];
    initContainers?: ContainerSpec[];
    volumes?: PodVolume[];
    terminationGracePeriodSeconds?: number;
    serviceAccountName?: string;
    nodeName?: string;
    [k: string]: unknown;
  };
}

/** A Pod the kubelet runs: a static Pod from a manifest file, or one the scheduler bound to the Node. */
interface StaticPod {
  /** The manifest file, or api:<uid> for a bound Pod. */
  file: string;
  source: 'file' | 'api';
  manifest: PodManifest;
  hash: string;
  uid: string;
  startTime: string;
  containers: ProcessContainer[];
  /** Containers that cannot run: name → the waiting reason and why ('' for the whole Pod: its volumes). */
  blocked: Map<string, { reason: string; message: string }>;
  mirrorUID?: string;
  eventsSent: Set<string>;
  /** Condition type → [status, when it last changed], so lastTransitionTime means what it says. */
  transitions: Map<string, [string, string]>;
  /** A bound Pod's volumes were made (or refreshed: its token) at this time. */
  volumesAt?: number;
}

export interface ProcessKubeletOptions {
  machine: string;
  providerID: string;
  address: string;
  version: string;
  logger: Logger;
  /** Env to resolve the kube cache with (KUBE_CACHE). */
  env: NodeJS.ProcessEnv;
  leaseRenewMs?: number;
  resyncMs?: number;
}

export class ProcessKubelet {
  private readonly pods = new Map<string, StaticPod>();
  private watcher?: FSWatcher;
  private resyncTimer?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;
  private leaseTimer?: NodeJS.Timeout;
  private readonly loop = new SyncLoop(() => this.sync(), (err) => this.o.logger.warn({ err: String(err) }, 'kubelet sync failed'));
  private client?: KubeClient;
  private nodeName?: string;
  private nodeUID?: string;
  private stopped = false;
  private statusDirty = false;
  /** The kubelet reports its conditions unchanged from its start: they last changed then. */
  private readySince?: string;

  constructor(private readonly o: ProcessKubeletOptions) {}

  start(): void {
    mkdirSync(MANIFESTS_DIR, { recursive: true });
    try {
      this.watcher = watch(MANIFESTS_DIR, () => this.schedule(100));
      this.watcher.on('error', () => undefined);
    } catch {
      // the periodic resync still finds changes
    }
    this.resyncTimer = setInterval(() => this.schedule(0), this.o.resyncMs ?? 2000);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    void this.loop.stop();
    if (this.statusTimer) clearTimeout(this.statusTimer);
    for (const t of [this.resyncTimer, this.leaseTimer]) if (t) clearInterval(t);
    // etcd last: a kube-apiserver whose etcd is gone spends its whole grace period failing to drain.
    const isEtcd = (p: StaticPod): boolean => p.manifest.metadata.labels?.component === 'etcd';
    const pods = [...this.pods.values()];
    await Promise.allSettled(pods.filter((p) => !isEtcd(p)).flatMap((p) => p.containers.map((c) => c.stop())));
    await Promise.allSettled(pods.filter(isEtcd).flatMap((p) => p.containers.map((c) => c.stop())));
    this.client?.close();
  }

  private lastWarning = '';

  /** A failure that repeats every sync is logged when it changes, not every time. */
  private warnOnce(msg: string, err: unknown): void {
    const text = err instanceof Error ? err.message : String(err);
    if (text === this.lastWarning) return;
    this.lastWarning = text;
    this.o.logger.warn({ err: text }, msg);
  }

  private schedule(ms: number): void {
    this.loop.schedule(ms);
  }

  private async sync(): Promise<void> {
    await this.syncStaticPods();
    if (!this.nodeUID && existsSync(KUBELET_CONF)) {
      try {
        await this.register();
      } catch (err) {
        this.warnOnce('node registration failed; retrying', err);
      }
    }
    if (this.nodeUID) {
      try {
        await this.syncApiPods();
      } catch (err) {
        this.statusDirty = true;
        this.warnOnce('pod sync failed; retrying', err);
      }
    }
  }

  private readManifests(): Map<string, { manifest: PodManifest; hash: string }> {
    const want = new Map<string, { manifest: PodManifest; hash: string }>();
    let files: string[] = [];
    try {
      files = readdirSync(MANIFESTS_DIR).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('.'));
    } catch {
      return want;
    }
    for (const f of files) {
      try {
        const text = readFileSync(join(MANIFESTS_DIR, f), 'utf8');
        const m = yaml.load(text) as PodManifest | null;
        if (!m?.metadata?.name || !Array.isArray(m.spec?.containers) || m.spec.containers.length === 0) continue;
        want.set(f, { manifest: m, hash: createHash('sha256').update(text).digest('hex').slice(0, 32) });
      } catch {
        // half-written or invalid: the kubelet ignores it until it parses
      }
    }
    return want;
  }

  private async syncStaticPods(): Promise<void> {
    const want = this.readManifests();
    for (const [file, pod] of [...this.pods]) {
      if (pod.source === 'file' && want.get(file)?.hash !== pod.hash) {
        this.pods.delete(file);
        await Promise.allSettled(pod.containers.map((c) => c.stop()));
        this.statusDirty = true;
      }
    }
    for (const [file, { manifest, hash }] of want) {
      if (this.pods.has(file) || this.stopped) continue;
      this.pods.set(file, this.startPod(file, manifest, hash));
      this.statusDirty = true;
    }
  }

  /** A static Pod's mirror is named after its manifest and the Node; a bound Pod has its own name. */
  private podName(m: PodManifest, source: 'file' | 'api' = 'file'): string {
    return source === 'api' ? m.metadata.name : `${m.metadata.name}-${this.o.machine}`;
  }

  private startPod(file: string, manifest: PodManifest, hash: string): StaticPod {
    const pod = this.newPod(file, 'file', manifest, hash);
    // A static Pod has hostPath volumes only (the kubelet has no API to read others from before its Node exists).
    const sources = new Map<string, string>();
    const bad = new Map<string, string>();
    for (const v of manifest.spec.volumes ?? []) {
      if (!v.hostPath) { bad.set(v.name, `volume ${v.name}: only hostPath volumes are supported in static Pods by the process kubelet`); continue; }
      const why = prepareHostPath(v.hostPath.path, v.hostPath.type);
      if (why) bad.set(v.name, why);
      else sources.set(v.name, v.hostPath.path);
    }
    this.startContainers(pod, sources, bad);
    return pod;
  }

  private newPod(file: string, source: 'file' | 'api', manifest: PodManifest, hash: string): StaticPod {
    return {
      file, source, manifest, hash, uid: source === 'api' ? manifest.metadata.uid! : hash, startTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      containers: [], blocked: new Map(), eventsSent: new Set(), transitions: new Map(),
      ...(source === 'api' ? { mirrorUID: manifest.metadata.uid } : {}),
    };
  }

  /** Starts each container that can run; the others are blocked with the reason (reported Waiting, with an Event). */
  private startContainers(pod: StaticPod, volumeSources: Map<string, string>, badVolumes = new Map<string, string>()): void {
    const { manifest } = pod;
    const ns = manifest.metadata.namespace ?? 'default';
    const name = this.podName(manifest, pod.source);
    const facts = { metadata: manifest.metadata, spec: manifest.spec, hostIP: this.o.address, podIP: this.o.address };
    if (manifest.spec.initContainers?.length) {
      for (const c of manifest.spec.containers) pod.blocked.set(c.name, { reason: 'CreateContainerConfigError', message: 'init containers are not supported by the process kubelet' });
    }
    for (const c of pod.blocked.size > 0 ? [] : manifest.spec.containers) {
      const image = resolveImage(c.image, this.o.env);
      if (image instanceof Error) {
        pod.blocked.set(c.name, { reason: 'ErrImagePull', message: image.message });
        this.o.logger.warn({ pod: name, container: c.name, reason: image.message }, 'container cannot run');
        continue;
      }
      const binds: Bind[] = [];
      let bad: string | undefined;
      for (const vm of c.volumeMounts ?? []) {
        const source = volumeSources.get(vm.name);
        bad = badVolumes.get(vm.name) ?? (source === undefined ? `volume ${vm.name} is not defined in the Pod` : undefined);
        if (bad) break;
        binds.push({ source: source!, target: vm.mountPath, readOnly: Boolean(vm.readOnly) });
      }
      const env = containerEnv(c.env, facts);
      if (!bad && env instanceof Error) bad = env.message;
      if (bad) {
        pod.blocked.set(c.name, { reason: 'CreateContainerConfigError', message: bad });
        continue;
      }
      const resolvedEnv = env as Record<string, string>;
      const container = new ProcessContainer({
        spec: c, image, binds, podIP: this.o.address, env: resolvedEnv, argv: containerCommand(c, image, resolvedEnv),
        logDir: join('/var/log/pods', `${ns}_${name}_${pod.uid}`, c.name),
        terminationGraceMs: Math.min((manifest.spec.terminationGracePeriodSeconds ?? 30) * 1000, 10_000),
        onChange: () => this.statusChanged(),
      });
      pod.containers.push(container);
      container.start();
    }
    this.o.logger.info({ pod: name, source: pod.source, containers: pod.containers.map((c) => c.name), blocked: [...pod.blocked.keys()] }, 'pod started');
  }

  private statusChanged(): void {
    this.statusDirty = true;
    if (this.statusTimer || this.stopped) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.schedule(0);
    }, 200);
  }

  private kubeletFlags(): Map<string, string> {
    if (!existsSync(KUBEADM_FLAGS)) return new Map();
    const m = readFileSync(KUBEADM_FLAGS, 'utf8').match(/KUBELET_KUBEADM_ARGS="?([^"\n]*)"?/);
    return parseFlags((m?.[1] ?? '').split(/\s+/).filter(Boolean));
  }

  private async register(): Promise<void> {
    const text = readFileSync(KUBELET_CONF, 'utf8');
    const kc = parseKubeconfig(text);
    const certPem = kc.clientCertPem ?? (kc.clientCertificatePath ? readFileSync(kc.clientCertificatePath, 'utf8') : undefined);
    if (!certPem) throw new Error('kubelet.conf has no client certificate');
    this.nodeName = nodeNameOfCert(certPem);
    this.client ??= KubeClient.fromKubeconfig(text, { maxSockets: 2 });
    const flags = this.kubeletFlags();
    const { labels, taints } = registrationOf(this.nodeName, flags);
    const path = `/api/v1/nodes/${this.nodeName}`;
    const node = (await this.client.getOrUndefined(path)) ?? (await createNode(this.client, { nodeName: this.nodeName, providerID: this.o.providerID, labels, taints }));
    await this.client.mergePatch(`${path}/status`, { status: this.nodeStatus() });
    const uid = node.metadata.uid;
    this.nodeUID = uid;
    await this.renewLease();
    this.o.logger.info({ node: this.nodeName }, 'node registered');
    const every = this.o.leaseRenewMs ?? 10_000;
    this.leaseTimer = setInterval(() => {
      void this.renewLease().catch(() => undefined);
      void this.client?.mergePatch(`${path}/status`, { status: this.nodeStatus() }).catch(() => undefined);
      this.statusDirty = true;
      this.schedule(0);
    }, every);
    this.statusDirty = true;
  }

  private nodeStatus(): Record<string, unknown> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.readySince ??= now;
    const since = this.readySince;
    const memKi = Math.floor(totalmem() / 1024);
    return {
      conditions: healthyNodeConditions(now, since),
      addresses: [{ type: 'InternalIP', address: this.o.address }, { type: 'Hostname', address: this.o.machine }],
      capacity: { cpu: String(cpus().length), memory: `${memKi}Ki`, pods: '110' },
      allocatable: { cpu: String(cpus().length), memory: `${memKi}Ki`, pods: '110' },
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: createHash('sha256').update(this.o.providerID).digest('hex').slice(0, 32), systemUUID: this.o.providerID, bootID: '',
        kernelVersion: '', osImage: 'clusterd local machine', containerRuntimeVersion: 'process://clusterd',
        kubeletVersion: this.o.version, kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
      },
    };
  }

  private async renewLease(): Promise<void> {
    if (!this.client || !this.nodeName || this.stopped) return;
    await renewNodeLease(this.client, this.nodeName, this.nodeUID);
  }

  private mirrorPath(pod: StaticPod): string {
    return `/api/v1/namespaces/${pod.manifest.metadata.namespace ?? 'default'}/pods/${this.podName(pod.manifest, pod.source)}`;
  }

  /**
   * The Pods bound to the Node, every sync (the kubelet watches them): bound Pods start, stop and are deleted from the
   * API once stopped; then, when something changed, the mirror Pods and every status are posted.
   */
  private async syncApiPods(): Promise<void> {
    // The Node authorizer lets a kubelet read only the Pods bound to it: list those, as the kubelet's informer does.
    const list = await this.client!.get<{ items: KubeObject[] }>(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${this.nodeName}`)}`);
    await this.syncBoundPods(list.items);
    if (!this.statusDirty) return;
    this.statusDirty = false;
    await this.syncMirrorPods(list.items);
  }

  private async syncBoundPods(items: KubeObject[]): Promise<void> {
    const bound = new Map(items.filter((p) => !p.metadata.annotations?.['kubernetes.io/config.mirror']).map((p) => [`api:${p.metadata.uid}`, p]));
    for (const [key, pod] of [...this.pods]) {
      if (pod.source !== 'api') continue;
      const now = bound.get(key);
      if (now && !now.metadata.deletionTimestamp) {
        if (Date.now() - (pod.volumesAt ?? 0) > VOLUME_REFRESH_MS) {
          const again = await preparePodVolumes(this.client!, now as unknown as BoundPod);
          if (again instanceof Error) this.warnOnce(`pod ${now.metadata.namespace}/${now.metadata.name}: volume refresh failed`, again);
          else pod.volumesAt = Date.now();
        }
        continue;
      }
      this.pods.delete(key);
      await Promise.allSettled(pod.containers.map((c) => c.stop()));
      rmSync(podDir(pod.uid), { recursive: true, force: true });
      this.statusDirty = true;
    }
    for (const [key, p] of bound) {
      if (this.stopped) return;
      if (p.metadata.deletionTimestamp) {
        if (this.pods.has(key)) continue;
        // Its processes are gone: the kubelet ends the graceful deletion, as its status manager does.
        await this.client!.request('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } })
          .catch((err: unknown) => {
            if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
          });
        continue;
      }
      if (this.pods.has(key)) continue;
      const manifest = p as unknown as PodManifest;
      const pod = this.newPod(key, 'api', manifest, p.metadata.uid!);
      const volumes = await preparePodVolumes(this.client!, manifest as unknown as BoundPod);
      if (volumes instanceof Error) {
        // Not started: tried again next sync, and reported waiting in ContainerCreating meanwhile (as FailedMount).
        this.warnOnce(`pod ${p.metadata.namespace}/${p.metadata.name}: volumes not ready`, volumes);
        pod.blocked.set('', { reason: 'ContainerCreating', message: volumes.message });
        await this.client!.mergePatch(`${this.mirrorPath(pod)}/status`, { status: this.podStatus(pod) }).catch(() => undefined);
        continue;
      }
      pod.volumesAt = Date.now();
      this.startContainers(pod, volumes);
      this.pods.set(key, pod);
      this.statusDirty = true;
    }
  }

  private async syncMirrorPods(items: KubeObject[]): Promise<void> {
    const mine = new Map(items.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    // Mirror Pods whose manifest is gone (removed while the API server was unreachable too) are deleted, as the
    // kubelet's orphaned-mirror-pod cleanup does.
    const wanted = new Set([...this.pods.values()].map((p) => `${p.manifest.metadata.namespace ?? 'default'}/${this.podName(p.manifest, p.source)}`));
    for (const [key, p] of mine) {
      if (wanted.has(key) || !p.metadata.annotations?.['kubernetes.io/config.mirror']) continue;
      await this.client!.request('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } })
        .catch((err: unknown) => {
          if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
        });
    }
    for (const pod of this.pods.values()) {
      if (pod.source === 'file') await this.ensureMirror(pod, mine.get(`${pod.manifest.metadata.namespace ?? 'default'}/${this.podName(pod.manifest)}`));
      await this.postEvents(pod);
      await this.client!.mergePatch(`${this.mirrorPath(pod)}/status`, { status: this.podStatus(pod) });
    }
  }

  /** The mirror Pod, created (or re-created when its manifest changed) with the Node as owner, as NodeRestriction demands. */
  private async ensureMirror(pod: StaticPod, existing: KubeObject | undefined): Promise<void> {
    const path = this.mirrorPath(pod);
    const ns = pod.manifest.metadata.namespace ?? 'default';
    if (existing && existing.metadata.annotations?.['kubernetes.io/config.mirror'] === pod.hash) {
      pod.mirrorUID = existing.metadata.uid;
      return;
    }
    if (existing) {
      await this.client!.request('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: existing.metadata.uid } }).catch(() => undefined);
    }
    const m = pod.manifest;
    const created = await this.client!.create(`/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name: this.podName(m), namespace: ns, labels: m.metadata.labels,
        annotations: {
          ...m.metadata.annotations,
          'kubernetes.io/config.hash': pod.hash, 'kubernetes.io/config.mirror': pod.hash,
          'kubernetes.io/config.seen': new Date().toISOString(), 'kubernetes.io/config.source': 'file',
        },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName!, uid: this.nodeUID!, controller: true }],
      },
      spec: { ...m.spec, nodeName: this.nodeName },
    });
    pod.mirrorUID = created.metadata.uid;
  }

  private async postEvents(pod: StaticPod): Promise<void> {
    const ns = pod.manifest.metadata.namespace ?? 'default';
    for (const [container, { message: why }] of pod.blocked) {
      if (pod.eventsSent.has(container) || container === '') continue;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      await this.client!.create(`/api/v1/namespaces/${ns}/events`, {
        apiVersion: 'v1', kind: 'Event',
        metadata: { name: `${this.podName(pod.manifest, pod.source)}.${createHash('sha256').update(container + pod.hash).digest('hex').slice(0, 16)}`, namespace: ns },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: this.podName(pod.manifest, pod.source), uid: pod.mirrorUID, fieldPath: `spec.containers{${container}}` },
        reason: 'Failed', message: why, type: 'Warning', count: 1, firstTimestamp: now, lastTimestamp: now,
        source: { component: 'kubelet', host: this.nodeName },
        reportingComponent: 'kubelet', reportingInstance: this.nodeName,
      }).catch((err: unknown) => {
        if (!(err instanceof ApiError && err.code === 409)) throw err;
      });
      pod.eventsSent.add(container);
    }
  }

  /** The Pod's status from its processes: nothing is Running that does not run. */
  podStatus(pod: StaticPod): Record<string, unknown> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const statuses = pod.manifest.spec.containers.map((spec) => {
      const c = pod.containers.find((x) => x.name === spec.name);
      const blocked = pod.blocked.get(spec.name) ?? pod.blocked.get('');
      const state: ContainerState = c ? c.state : { waiting: blocked ?? { reason: 'ContainerCreating' } };
      return {
        name: spec.name, image: spec.image, imageID: '', ready: Boolean(c?.ready && 'running' in c.state),
        started: Boolean(c?.started && 'running' in (c?.state ?? {})), restartCount: c?.restartCount ?? 0,
        state, ...(c?.lastState ? { lastState: c.lastState } : { lastState: {} }),
        ...(c?.containerID ? { containerID: c.containerID } : {}),
      };
    });
    const allRunning = statuses.every((s) => 'running' in s.state);
    const allReady = statuses.every((s) => s.ready);
    const cond = (type: string, ok: boolean) => {
      const status = ok ? 'True' : 'False';
      const prev = pod.transitions.get(type);
      const since = prev && prev[0] === status ? prev[1] : now;
      pod.transitions.set(type, [status, since]);
      return { type, status, lastProbeTime: null, lastTransitionTime: since };
    };
    return {
      phase: allRunning ? 'Running' : 'Pending',
      conditions: [cond('PodReadyToStartContainers', true), cond('Initialized', true), cond('Ready', allReady), cond('ContainersReady', allReady), cond('PodScheduled', true)],
      hostIP: this.o.address, hostIPs: [{ ip: this.o.address }], podIP: this.o.address, podIPs: [{ ip: this.o.address }],
      // No qosClass: the API server computed it at creation and it is immutable.
      startTime: pod.startTime, containerStatuses: statuses,
    };
  }
}
