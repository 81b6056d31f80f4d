/**
 * The Cluster controller: infrastructure and endpoint from the provider, the shared PKI and admin
 * kubeconfig, the managed control plane (one step at a time, see control-plane.ts), status, and ordered
 * deletion. Decisions live in pure functions beside this file; this file reads, calls and writes.
 */
import { randomBytes } from 'node:crypto';
import { Annotations, Finalizers, Labels, type Cluster, type Machine, type MachineDeployment, type MachineSet } from '../../api/v1alpha1/index.js';
import type { Reader } from '../../runtime/cache/cache.js';
import type { Client } from '../../runtime/client.js';
import { ignoreNotFound, isNotFound } from '../../runtime/errors.js';
import { PatchHelper } from '../../runtime/patch.js';
import type { EventRecorder } from '../../runtime/recorder.js';
import type { KubeObject, ReconcileContext, Reconciler, Request, Result } from '../../runtime/types.js';
import { oldestVersion } from '../../lib/version.js';
import { isMachineReady } from '../machine/ready.js';
import { controlPlaneAt, syncKubeadmConfigVersion, syncKubeProxyVersion } from './addons.js';
import { controlPlaneCounts, controlPlaneVersionProblem, nextControlPlaneAction, templateHash, type CPDesired, type CPMember } from './control-plane.js';
import { nextDeletionStep } from './deletion.js';
import { CLUSTER_GVK, CONFIGMAP_GVK, errMessage, MACHINE_GVK, MACHINEDEPLOYMENT_GVK, MACHINESET_GVK, type ControllerDeps } from './deps.js';
import { ControllerAnnotations } from './names.js';
import { clusterOwnerRef } from './pki.js';
import { deleteOwnedSecrets, ensureAdminKubeconfig, ensureCertificateKey, ensureClusterPKI } from './secrets.js';
import { ClusterConditions, computeClusterStatus, type ClusterObservation } from './status.js';
import type { WorkloadClusters } from './workload.js';

type InfraObservation = ClusterObservation['infrastructure'] & { requeueAfterMs?: number };

const asKube = <T>(o: T): T & KubeObject => o as T & KubeObject;

export class ClusterReconciler implements Reconciler {
  private readonly poll: number;

  constructor(
    private readonly client: Client,
    /** The manager's cache: the Cluster is read from it. Its control-plane Machines are listed live (controlPlaneMachines). */
    private readonly cache: Reader,
    private readonly recorder: EventRecorder,
    private readonly deps: ControllerDeps,
    private readonly workloads: WorkloadClusters,
  ) {
    this.poll = deps.pollIntervalMs ?? 2000;
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    let cluster = await ignoreNotFound(this.cache.get<Cluster & KubeObject>(CLUSTER_GVK, req));
    if (!cluster) {
      await this.workloads.forget(req.namespace, req.name);
      return {};
    }
    if (cluster.spec.paused) {
      ctx.log.debug('cluster is paused');
      return {};
    }
    if (cluster.metadata.deletionTimestamp) return this.reconcileDelete(cluster, ctx);
    if (!(cluster.metadata.finalizers ?? []).includes(Finalizers.cluster)) {
      cluster = await this.client.patch<Cluster & KubeObject>(asKube(cluster), {
        metadata: { finalizers: [...(cluster.metadata.finalizers ?? []), Finalizers.cluster], resourceVersion: cluster.metadata.resourceVersion },
      });
    }
    return this.reconcileNormal(cluster, ctx);
  }

  private async reconcileNormal(cluster: Cluster, ctx: ReconcileContext): Promise<Result> {
    const helper = new PatchHelper(this.client, asKube(cluster));
    const ns = cluster.metadata.namespace ?? 'default';
    const name = cluster.metadata.name!;
    let requeueAfter: number | undefined;
    const wantRequeue = (ms: number): void => {
      requeueAfter = requeueAfter === undefined ? ms : Math.min(requeueAfter, ms);
    };

    const infra = await this.reconcileInfrastructure(cluster);
    if (infra.requeueAfterMs) wantRequeue(infra.requeueAfterMs);
    if (infra.failure) wantRequeue(30_000);

    // The shared PKI does not depend on the infrastructure: generate it at once.
    let certificates: ClusterObservation['certificates'] = { available: false };
    let kubeconfigReady = false;
    try {
      const { pki, generated, adopted } = await ensureClusterPKI(this.client, cluster);
      if (generated.length > 0) this.recorder.event(asKube(cluster), 'Normal', 'CertificatesGenerated', `generated ${generated.join(', ')} for the cluster`);
      if (adopted.length > 0) this.recorder.event(asKube(cluster), 'Normal', 'CertificatesAdopted', `using existing Secrets for ${adopted.join(', ')}`);
      await ensureCertificateKey(this.client, cluster);
      certificates = { available: true };
      const ep = cluster.spec.controlPlaneEndpoint;
      if (ep) {
        if (await ensureAdminKubeconfig(this.client, cluster, pki, ep)) {
          this.recorder.event(asKube(cluster), 'Normal', 'KubeconfigWritten', `admin kubeconfig written to Secret ${name}-kubeconfig`);
        }
        kubeconfigReady = true;
      }
    } catch (err) {
      certificates = { available: false, message: errMessage(err) };
      wantRequeue(10_000);
    }

    const cpMachines = await this.controlPlaneMachines(cluster);
    let initialized = cluster.status?.controlPlaneInitialized === true;
    if (!initialized && kubeconfigReady && cpMachines.some((m) => m.spec.providerID)) {
      initialized = await this.probeInitialized(cluster, cpMachines);
      if (initialized) this.recorder.event(asKube(cluster), 'Normal', 'ControlPlaneInitialized', 'the workload cluster API answers through the control-plane endpoint');
      else wantRequeue(this.poll);
    }

    const members = cpMachines.map(toMember);
    const cp = cluster.spec.controlPlane;
    let desired: CPDesired | undefined;
    let cpMessage: string | undefined;
    let versionSkew: ClusterObservation['versionSkew'];
    if (cp) {
      desired = { replicas: cp.replicas ?? 1, version: cp.version, templateHash: templateHash(cp) };
      const problem = controlPlaneVersionProblem(members, desired);
      versionSkew = problem ? { ok: false, reason: problem.reason, message: problem.message } : { ok: true };
      const prev = cluster.status?.conditions?.find((c) => c.type === ClusterConditions.VersionSkewOk);
      if (problem && (prev?.status !== 'False' || prev.reason !== problem.reason || prev.message !== problem.message)) {
        this.recorder.event(asKube(cluster), 'Warning', problem.reason, `control plane held at its current version: ${problem.message}`);
      }
      if (infra.ready && infra.endpointSet && certificates.available) {
        const action = nextControlPlaneAction(members, desired, initialized);
        cpMessage = await this.apply(cluster, action, desired, ctx);
        if (action.type !== 'none') wantRequeue(action.type === 'wait' ? 5000 : 1000);
      }
    }
    if (desired && initialized && controlPlaneAt(members, desired)) await this.syncAddons(cluster, desired, ctx);
    const counts = controlPlaneCounts(members, desired);
    const desiredReplicas = desired ? desired.replicas : counts.replicas;
    const obs: ClusterObservation = {
      generation: cluster.metadata.generation,
      deleting: false,
      infrastructure: infra,
      certificates,
      initialized,
      desiredReplicas,
      counts,
      version: lowestVersion(cpMachines) ?? cp?.version,
      controlPlaneMessage: cpMessage,
      versionSkew,
    };
    const wasReady = cluster.status?.controlPlaneReady === true;
    cluster.status = computeClusterStatus(cluster.status, obs);
    if (cluster.status.controlPlaneReady && !wasReady) {
      this.recorder.event(asKube(cluster), 'Normal', 'ControlPlaneReady', `${counts.readyReplicas}/${desiredReplicas} control-plane machines are Ready`);
    }
    if (!cluster.status.controlPlaneReady) wantRequeue(5000);
    await helper.patch(asKube(cluster));
    ctx.log.debug({ ns, name, phase: cluster.status.phase }, 'cluster reconciled');
    return requeueAfter !== undefined ? { requeueAfter } : {};
  }

  private async reconcileInfrastructure(cluster: Cluster): Promise<InfraObservation> {
    const providerName = cluster.spec.infrastructure.provider;
    let provider;
    try {
      provider = await this.deps.providers.get(providerName);
    } catch (err) {
      return { ready: false, endpointSet: false, failure: { reason: 'UnknownProvider', message: `spec.infrastructure.provider: ${errMessage(err)}` } };
    }
    let res;
    try {
      res = await provider.reconcileClusterInfrastructure({ cluster });
    } catch (err) {
      // Retried, but never silent: an error the provider keeps returning shows as a Warning Event (the recorder
      // counts repeats) and a log line, not only as a condition message.
      this.recorder.event(asKube(cluster), 'Warning', 'InfrastructureError', `reconciling the cluster infrastructure: ${errMessage(err)}`);
      this.deps.logger?.warn({ cluster: `${cluster.metadata.namespace ?? 'default'}/${cluster.metadata.name}`, err: errMessage(err) }, 'cluster infrastructure failed; retrying');
      return { ready: false, endpointSet: !!cluster.spec.controlPlaneEndpoint, waiting: errMessage(err), requeueAfterMs: 5000 };
    }
    if (res.status === 'failed') {
      this.recorder.event(asKube(cluster), 'Warning', res.reason, res.message);
      return { ready: false, endpointSet: !!cluster.spec.controlPlaneEndpoint, failure: { reason: res.reason, message: res.message } };
    }
    if (res.status === 'pending') {
      return { ready: false, endpointSet: !!cluster.spec.controlPlaneEndpoint, waiting: res.message ?? 'infrastructure is being provisioned', requeueAfterMs: res.requeueAfterMs };
    }
    const ep = res.value.controlPlaneEndpoint;
    if (ep && !cluster.spec.controlPlaneEndpoint) {
      const updated = await this.client.patch<Cluster & KubeObject>(asKube(cluster), { spec: { controlPlaneEndpoint: { host: ep.host, port: ep.port } } });
      cluster.spec.controlPlaneEndpoint = updated.spec.controlPlaneEndpoint;
      cluster.metadata.resourceVersion = updated.metadata.resourceVersion;
      cluster.metadata.generation = updated.metadata.generation;
      this.recorder.event(asKube(cluster), 'Normal', 'InfrastructureReady', `control-plane endpoint is ${ep.host}:${ep.port}`);
    }
    return { ready: res.value.ready, endpointSet: !!cluster.spec.controlPlaneEndpoint, waiting: res.value.ready ? undefined : 'infrastructure is not ready yet', requeueAfterMs: res.value.ready ? undefined : this.poll };
  }

  /** Initialised: the workload API answers through the endpoint and kubeadm's init uploaded kubeadm-config. */
  private async probeInitialized(cluster: Cluster, cpMachines: Machine[]): Promise<boolean> {
    if (cpMachines.some((m) => m.status?.nodeRef && isMachineReady(m))) return true;
    try {
      const wc = await this.workloads.client(cluster.metadata.namespace ?? 'default', cluster.metadata.name!);
      await wc.get(CONFIGMAP_GVK, { namespace: 'kube-system', name: 'kubeadm-config' });
      return true;
    } catch {
      return false;
    }
  }

  /** Cluster uid → the control-plane version kube-proxy was last synced to (one check per version, not per reconcile). */
  private readonly addonsSynced = new Map<string, string>();

  /** kube-proxy follows a finished control-plane rollout (addons.ts); a workload cluster that does not answer is retried later. */
  private async syncAddons(cluster: Cluster, desired: CPDesired, ctx: ReconcileContext): Promise<void> {
    const key = cluster.metadata.uid ?? `${cluster.metadata.namespace}/${cluster.metadata.name}`;
    if (this.addonsSynced.get(key) === desired.version) return;
    try {
      const wc = await this.workloads.client(cluster.metadata.namespace ?? 'default', cluster.metadata.name!);
      const was = await syncKubeProxyVersion(wc, desired.version);
      if (was) ctx.log.info({ from: was, version: desired.version }, 'kube-proxy DaemonSet set to the control plane\'s version');
      this.addonsSynced.set(key, desired.version);
    } catch (err) {
      ctx.log.debug({ err: errMessage(err) }, 'kube-proxy version not synced yet');
    }
  }

  /** Control-plane Machines of the cluster, read live (not from a cache) so a Machine just created is never created twice. */
  private async controlPlaneMachines(cluster: Cluster): Promise<Machine[]> {
    const list = await this.client.list<Machine & KubeObject>(MACHINE_GVK, {
      namespace: cluster.metadata.namespace ?? 'default',
      labelSelector: `${Labels.clusterName}=${cluster.metadata.name!},${Labels.controlPlane}`,
    });
    return list.items.filter((m) => m.spec.clusterName === cluster.metadata.name);
  }

  private async apply(cluster: Cluster, action: ReturnType<typeof nextControlPlaneAction>, desired: CPDesired, ctx: ReconcileContext): Promise<string | undefined> {
    switch (action.type) {
      case 'none':
        return undefined;
      case 'wait':
        return action.message;
      case 'create': {
        if (action.role === 'join') {
          // A joining control plane writes its static Pods at kubeadm-config's version: set it first (a 409 retries).
          const wc = await this.workloads.client(cluster.metadata.namespace ?? 'default', cluster.metadata.name!);
          if (await syncKubeadmConfigVersion(wc, desired.version)) ctx.log.info({ version: desired.version }, 'kubeadm-config set to the control plane\'s version');
        }
        const m = await this.client.create<Machine & KubeObject>(asKube(controlPlaneMachine(cluster, desired)));
        ctx.log.info({ machine: m.metadata.name, role: action.role }, 'created control-plane machine');
        this.recorder.event(asKube(cluster), 'Normal', 'ControlPlaneMachineCreated',
          `created control-plane machine ${m.metadata.name} (${action.role === 'init' ? 'init' : 'join --control-plane'}, ${desired.version})`);
        return `creating control-plane machine ${m.metadata.name}`;
      }
      case 'delete': {
        try {
          await this.client.delete({ ...MACHINE_GVK, metadata: { name: action.machine, namespace: cluster.metadata.namespace } });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        ctx.log.info({ machine: action.machine, reason: action.reason }, 'deleting control-plane machine');
        this.recorder.event(asKube(cluster), 'Normal', 'ControlPlaneMachineDeleted', `deleting control-plane machine ${action.machine} (${action.reason})`);
        return `deleting control-plane machine ${action.machine} (${action.reason})`;
      }
    }
  }

  private async reconcileDelete(cluster: Cluster, ctx: ReconcileContext): Promise<Result> {
    const ns = cluster.metadata.namespace ?? 'default';
    const name = cluster.metadata.name!;
    if (!(cluster.metadata.finalizers ?? []).includes(Finalizers.cluster)) return {};
    if (cluster.status?.phase !== 'Deleting') {
      const helper = new PatchHelper(this.client, asKube(cluster));
      cluster.status = { ...(cluster.status ?? {}), phase: 'Deleting' };
      await helper.patch(asKube(cluster));
      this.recorder.event(asKube(cluster), 'Normal', 'Deleting', 'deleting machine deployments, machine sets, machines, then infrastructure');
    }
    const mine = <T extends { spec: { clusterName: string } }>(items: T[]): T[] => items.filter((x) => x.spec.clusterName === name);
    const [mds, mss, machines] = await Promise.all([
      this.client.list<MachineDeployment & KubeObject>(MACHINEDEPLOYMENT_GVK, { namespace: ns }).then((l) => mine(l.items)),
      this.client.list<MachineSet & KubeObject>(MACHINESET_GVK, { namespace: ns }).then((l) => mine(l.items)),
      this.client.list<Machine & KubeObject>(MACHINE_GVK, { namespace: ns }).then((l) => mine(l.items)),
    ]);
    const isCP = (m: Machine): boolean => Object.prototype.hasOwnProperty.call(m.metadata.labels ?? {}, Labels.controlPlane);
    const workers = machines.filter((m) => !isCP(m));
    const cps = machines.filter(isCP);
    const step = nextDeletionStep({ machineDeployments: mds.length, machineSets: mss.length, workerMachines: workers.length, controlPlaneMachines: cps.length });
    const batch: KubeObject[] = step === 'MachineDeployments' ? mds : step === 'MachineSets' ? mss : step === 'WorkerMachines' ? workers : step === 'ControlPlaneMachines' ? cps : [];
    if (batch.length > 0) {
      for (const o of batch) {
        if (o.metadata.deletionTimestamp) continue;
        try {
          await this.client.delete(o, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      ctx.log.info({ step, remaining: batch.length }, 'deleting cluster');
      return { requeueAfter: 1000 };
    }
    // Nothing runs on the infrastructure any more.
    let provider;
    try {
      provider = await this.deps.providers.get(cluster.spec.infrastructure.provider);
    } catch {
      provider = undefined; // an unknown provider never created anything
    }
    if (provider) {
      const res = await provider.deleteClusterInfrastructure({ cluster });
      if (res.status === 'pending') return { requeueAfter: res.requeueAfterMs };
      if (res.status === 'failed') {
        this.recorder.event(asKube(cluster), 'Warning', res.reason, `deleting infrastructure: ${res.message}`);
        return { requeueAfter: 30_000 };
      }
    }
    await deleteOwnedSecrets(this.client, cluster);
    await this.workloads.forget(ns, name);
    const fresh = await this.client.get<Cluster & KubeObject>(CLUSTER_GVK, { namespace: ns, name });
    await this.client.patch(asKube(fresh), {
      metadata: { finalizers: (fresh.metadata.finalizers ?? []).filter((f) => f !== Finalizers.cluster), resourceVersion: fresh.metadata.resourceVersion },
    });
    ctx.log.info('cluster deleted');
    return {};
  }
}

function toMember(m: Machine): CPMember {
  return {
    name: m.metadata.name!,
    creationTimestamp: m.metadata.creationTimestamp ?? '',
    deleting: !!m.metadata.deletionTimestamp,
    ready: isMachineReady(m),
    failed: m.status?.phase === 'Failed',
    version: m.spec.version,
    templateHash: m.metadata.annotations?.[ControllerAnnotations.templateHash],
    markedForDeletion: m.metadata.annotations?.[Annotations.deleteMachine] !== undefined,
  };
}

function lowestVersion(ms: Machine[]): string | undefined {
  return oldestVersion(ms.filter((m) => !m.metadata.deletionTimestamp).map((m) => m.status?.version ?? m.spec.version));
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
function suffix(n = 5): string {
  return [...randomBytes(n)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

/** A new control-plane Machine from the Cluster's spec.controlPlane, owned by the Cluster. */
export function controlPlaneMachine(cluster: Cluster, desired: CPDesired): Machine {
  const cp = cluster.spec.controlPlane!;
  const t = cp.machineTemplate ?? {};
  const name = cluster.metadata.name!;
  return {
    apiVersion: 'clusterd.dev/v1alpha1',
    kind: 'Machine',
    metadata: {
      name: `${name}-control-plane-${suffix()}`,
      namespace: cluster.metadata.namespace ?? 'default',
      labels: { ...(t.metadata?.labels ?? {}), [Labels.clusterName]: name, [Labels.controlPlane]: '' },
      annotations: { ...(t.metadata?.annotations ?? {}), [ControllerAnnotations.templateHash]: desired.templateHash },
      ownerReferences: [clusterOwnerRef(cluster)],
    },
    spec: {
      clusterName: name,
      version: desired.version,
      ...(t.infrastructure ? { infrastructure: structuredClone(t.infrastructure) } : {}),
      ...(t.bootstrap ? { bootstrap: (({ dataSecretName: _d, ...rest }) => structuredClone(rest))(t.bootstrap) } : {}),
      ...(t.nodeDrainTimeoutSeconds !== undefined ? { nodeDrainTimeoutSeconds: t.nodeDrainTimeoutSeconds } : {}),
    },
  };
}
