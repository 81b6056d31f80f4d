/**
 * Clients for workload clusters, one per Cluster, built from its `<cluster>-kubeconfig` Secret and kept
 * until the Secret changes or the Cluster goes away, so reconciles never open a connection each. Each
 * comes with a Node informer on the workload cluster, so Machines learn about their Node from a watch
 * rather than by polling.
 */
import { createHash } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Informer } from '../../runtime/cache/informer.js';
import { Client } from '../../runtime/client.js';
import { ignoreNotFound } from '../../runtime/errors.js';
import type { Manager } from '../../runtime/manager.js';
import type { KubeObject } from '../../runtime/types.js';
import { NODE_GVK, SECRET_GVK } from './gvk.js';
import { secretNames } from './names.js';

export interface NodeLike extends KubeObject {
  spec?: { providerID?: string; unschedulable?: boolean };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    nodeInfo?: { kubeletVersion?: string };
  };
}

/** Reads objects from the management cluster (the manager's cache or a client). */
export interface SecretReader {
  get<T extends KubeObject = KubeObject>(gvk: { apiVersion: string; kind: string }, key: { namespace?: string; name: string }): Promise<T>;
}

export class WorkloadClusterUnavailableError extends Error {}

interface Entry {
  hash: string;
  client: Client;
  nodes?: Informer;
}

export type NodeEventHandler = (clusterKey: string, node: NodeLike) => void;

export class WorkloadClusters {
  private readonly entries = new Map<string, Entry>();
  private readonly nodeHandlers: NodeEventHandler[] = [];

  constructor(private readonly reader: SecretReader, private readonly log: Logger) {}

  static key(namespace: string, clusterName: string): string {
    return `${namespace}/${clusterName}`;
  }

  /** Called for every Node add/update/delete in any workload cluster watched so far. */
  onNodeEvent(h: NodeEventHandler): void {
    this.nodeHandlers.push(h);
  }

  /** The admin kubeconfig text of a workload cluster, or undefined while the Secret does not exist. */
  async kubeconfigText(namespace: string, clusterName: string): Promise<string | undefined> {
    const s = await ignoreNotFound(this.reader.get<KubeObject & { data?: Record<string, string> }>(SECRET_GVK, { namespace, name: secretNames.kubeconfig(clusterName) }));
    const v = s?.data?.value;
    return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
  }

  /** The cached client for a workload cluster; throws WorkloadClusterUnavailableError before the kubeconfig exists. */
  async client(namespace: string, clusterName: string): Promise<Client> {
    const key = WorkloadClusters.key(namespace, clusterName);
    const text = await this.kubeconfigText(namespace, clusterName);
    if (!text) throw new WorkloadClusterUnavailableError(`cluster ${key}: Secret ${secretNames.kubeconfig(clusterName)} does not exist yet`);
    const hash = createHash('sha256').update(text).digest('hex');
    const cur = this.entries.get(key);
    if (cur && cur.hash === hash) return cur.client;
    if (cur) await this.dispose(cur);
    const kc = new KubeConfig();
    kc.loadFromString(text);
    const client = new Client(kc, { userAgent: 'clusterd/workload', timeoutMs: 10_000 });
    this.entries.set(key, { hash, client });
    return client;
  }

  /**
   * The Node informer of a workload cluster, started on first use. Nodes are looked up in its store;
   * until it has synced, lookups return undefined and the caller waits for the watch to call back.
   */
  async nodes(namespace: string, clusterName: string): Promise<Informer> {
    const key = WorkloadClusters.key(namespace, clusterName);
    await this.client(namespace, clusterName);
    const entry = this.entries.get(key)!;
    if (!entry.nodes) {
      const inf = new Informer(NODE_GVK, entry.client, { logger: this.log.child({ workloadCluster: key }) });
      const fire = (n: KubeObject): void => {
        for (const h of this.nodeHandlers) h(key, n as NodeLike);
      };
      inf.addEventHandler({ onAdd: fire, onUpdate: (_o, n) => fire(n), onDelete: fire });
      inf.start();
      entry.nodes = inf;
    }
    return entry.nodes;
  }

  /** The Node whose spec.providerID is providerID, from the watch cache. */
  async nodeByProviderID(namespace: string, clusterName: string, providerID: string): Promise<NodeLike | undefined> {
    const inf = await this.nodes(namespace, clusterName);
    for (const n of inf.store.values()) if ((n as NodeLike).spec?.providerID === providerID) return n as NodeLike;
    return undefined;
  }

  /** Drops the client and watch of a cluster (deleted, or its kubeconfig replaced). */
  async forget(namespace: string, clusterName: string): Promise<void> {
    const key = WorkloadClusters.key(namespace, clusterName);
    const e = this.entries.get(key);
    this.entries.delete(key);
    if (e) await this.dispose(e);
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.dispose(e)));
  }

  private async dispose(e: Entry): Promise<void> {
    await e.nodes?.stop();
    e.client.close();
  }
}

export function nodeReady(n: NodeLike): { ready: boolean; reason?: string; message?: string } {
  const c = n.status?.conditions?.find((x) => x.type === 'Ready');
  return { ready: c?.status === 'True', reason: c?.reason, message: c?.message };
}

/**
 * The one WorkloadClusters of a manager, shared by the Cluster and Machine controllers: built once where the
 * controllers are registered, and closed when the manager stops.
 */
export function newWorkloadClusters(mgr: Manager, log: Logger): WorkloadClusters {
  const w = new WorkloadClusters(mgr.client, log.child({ component: 'workload-clusters' }));
  mgr.add({
    needLeaderElection: true,
    start: (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => void w.close().then(resolve, resolve), { once: true })),
  });
  return w;
}
