/**
 * The Cluster controller: infrastructure and endpoint from the provider, the shared PKI and admin
 * kubeconfig, the managed control plane (one step at a time, see control-plane.ts), status, and ordered
 * deletion. Decisions live in pure functions beside this file; this file reads, calls and writes.
 */
import { randomBytes } from 'node:crypto';
import { Annotations, Finalizers, Labels, type Cluster, type Machine, type MachineDeployment, type MachineSet } from '../../api/v1alpha1/index.js';
import { ignoreNotFound, isNotFound } from '../../runtime/errors.js';
import { findCondition } from '../../runtime/conditions.js';
import { Expectations, viewOf } from '../../runtime/expectations.js';
import { requestKey, type KubeObject, type ReconcileContext, type Request, type Result } from '../../runtime/types.js';
import type { WorkloadClusters } from '../shared/workload-clusters.js';
import { oldestVersion } from '../../lib/version.js';
import { ensureFinalizer, patchAfter, releaseFinalizer, runPhases, toResult, type Phase, type PhaseResult, type ReconcilerEnv, EnvReconciler } from '../../runtime/reconcile.js';
import { errMessage } from '../shared/deps.js';
import { CLUSTER_GVK, CONFIGMAP_GVK, MACHINE_GVK, MACHINEDEPLOYMENT_GVK, MACHINESET_GVK } from '../shared/gvk.js';
import { isMachineReady } from '../shared/machine-state.js';
import { ControllerAnnotations } from '../shared/names.js';
import { clusterOwnerRef } from '../shared/owner.js';
import { isPaused } from '../shared/paused.js';
import { controlPlaneAt, syncKubeadmConfigVersion, syncKubeProxyVersion } from './addons.js';
import { controlPlaneCounts, controlPlaneVersionProblem, nextControlPlaneAction, templateHash, type CPDesired, type CPMember } from './control-plane.js';
import { nextDeletionStep } from './deletion.js';
import { orphanedMachines, ORPHAN_SWEEP_INTERVAL_MS } from './orphans.js';
import type { ClusterControllerDeps } from './index.js';
import { deleteOwnedSecrets, ensureAdminKubeconfig, ensureCertificateKey, ensureClusterPKI } from './secrets.js';
import { ClusterConditions, computeClusterStatus, type ClusterObservation } from './status.js';

type InfraObservation = ClusterObservation['infrastructure'] & { requeueAfterMs?: number };

/** What the phases of one reconcile share: the Cluster (written once, at the end) and what each phase found out. */
interface ClusterScope {
  cluster: Cluster;
  ctx: ReconcileContext;
  infra: InfraObservation;
  certificates: ClusterObservation['certificates'];
  kubeconfigReady: boolean;
  cpMachines: Machine[];
  initialized: boolean;
  desired?: CPDesired;
  cpMessage?: string;
  versionSkew?: ClusterObservation['versionSkew'];
}


export class ClusterReconciler extends EnvReconciler {
  private readonly workloads: WorkloadClusters;
  private readonly poll: number;
  /** Control-plane Machines created or deleted, until the cache shows it (runtime/expectations.ts). */
  readonly expectations = new Expectations();
  /** The phases of a reconcile, in order (runtime/reconcile.ts runPhases). */
  private readonly phases: readonly Phase<ClusterScope>[] = [
    this.reconcileInfrastructurePhase, this.reconcileOrphans, this.reconcileCertificates, this.reconcileInitialized, this.reconcileControlPlane, this.reconcileStatus,
  ].map((p) => p.bind(this));

  constructor(env: ReconcilerEnv, private readonly deps: ClusterControllerDeps) {
    super(env);
    this.workloads = deps.workloads;
    this.poll = deps.pollIntervalMs ?? 2000;
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    let cluster = await ignoreNotFound(this.cache.get<Cluster>(CLUSTER_GVK, req));
    if (!cluster) {
      this.expectations.forget(requestKey(req));
      this.orphansSwept.delete(requestKey(req));
      await this.workloads.forget(req.namespace, req.name);
      return {};
    }
    if (isPaused(cluster)) {
      ctx.log.debug('cluster is paused');
      return {};
    }
    if (cluster.metadata.deletionTimestamp) return this.reconcileDelete(cluster, ctx);
    cluster = await ensureFinalizer(this.client, cluster, Finalizers.cluster);
    const scope: ClusterScope = { cluster, ctx, infra: { ready: false, endpointSet: false }, certificates: { available: false }, kubeconfigReady: false, cpMachines: [], initialized: false };
    return patchAfter(this.client, cluster, async () => {
      const out = toResult(await runPhases(scope, this.phases));
      ctx.log.debug({ ns: req.namespace, name: req.name, phase: cluster.status?.phase }, 'cluster reconciled');
      return out;
    }, { observedGeneration: true });
  }

  /** The provider's load balancer and endpoint. */
  private async reconcileInfrastructurePhase(s: ClusterScope): Promise<PhaseResult> {
    s.infra = await this.reconcileInfrastructure(s.cluster);
    const r: PhaseResult = {};
    if (s.infra.requeueAfterMs) r.requeueAfter = s.infra.requeueAfterMs;
    if (s.infra.failure) r.requeueAfter = Math.min(r.requeueAfter ?? 30_000, 30_000);
    return r;
  }

  /** Cluster namespace/name → when its provider machines were last checked for orphans (orphans.ts). */
  private readonly orphansSwept = new Map<string, number>();

  /** Provider machines whose Machine is gone are deleted, at most once per sweep interval (orphans.ts). */
  private async reconcileOrphans(s: ClusterScope): Promise<PhaseResult | void> {
    const { cluster } = s;
    const interval = this.deps.orphanSweepIntervalMs ?? ORPHAN_SWEEP_INTERVAL_MS;
    if (!s.infra.ready) return;
    const key = keyOf(cluster);
    const last = this.orphansSwept.get(key);
    if (last !== undefined && Date.now() - last < interval) return { requeueAfter: last + interval - Date.now() };
    let provider;
    try {
      provider = await this.deps.providers.get(cluster.spec.infrastructure.provider);
    } catch {
      return;
    }
    if (!provider.listMachines) return;
    this.orphansSwept.set(key, Date.now());
    try {
      const listed = await provider.listMachines({ cluster });
      const orphans = await orphanedMachines(listed,
        async (namespace, name) => (await ignoreNotFound(this.cache.get<Machine>(MACHINE_GVK, { namespace, name }))) !== undefined,
        async (namespace, name) => (await ignoreNotFound(this.client.get<Machine>(MACHINE_GVK, { namespace, name }))) !== undefined);
      for (const o of orphans) {
        const machine = { ...MACHINE_GVK, metadata: { name: o.machineName, namespace: o.machineNamespace, uid: o.machineUID }, spec: { clusterName: cluster.metadata.name } };
        const res = await provider.deleteMachine({ cluster, machine });
        if (res.status === 'failed') {
          this.recorder.event(cluster, 'Warning', res.reason, `deleting orphaned provider machine ${o.providerID}: ${res.message}`);
          continue;
        }
        this.recorder.event(cluster, 'Warning', 'OrphanMachineDeleted', `deleted provider machine ${o.providerID}: its Machine ${o.machineNamespace}/${o.machineName} no longer exists`);
        s.ctx.log.info({ providerID: o.providerID, machine: `${o.machineNamespace}/${o.machineName}` }, 'orphaned provider machine deleted');
      }
    } catch (err) {
      s.ctx.log.info({ err: errMessage(err) }, 'orphan sweep skipped; retried at the next interval');
    }
    return { requeueAfter: interval };
  }

  /** The shared PKI, the certificate key and the admin kubeconfig: they do not depend on the infrastructure. */
  private async reconcileCertificates(s: ClusterScope): Promise<PhaseResult | void> {
    const { cluster } = s;
    try {
      const { pki, generated, adopted } = await ensureClusterPKI(this.client, cluster);
      if (generated.length > 0) this.recorder.event(cluster, 'Normal', 'CertificatesGenerated', `generated ${generated.join(', ')} for the cluster`);
      if (adopted.length > 0) this.recorder.event(cluster, 'Normal', 'CertificatesAdopted', `using existing Secrets for ${adopted.join(', ')}`);
      await ensureCertificateKey(this.client, cluster);
      s.certificates = { available: true };
      const ep = cluster.spec.controlPlaneEndpoint;
      if (ep) {
        if (await ensureAdminKubeconfig(this.client, cluster, pki, ep)) {
          this.recorder.event(cluster, 'Normal', 'KubeconfigWritten', `admin kubeconfig written to Secret ${cluster.metadata.name!}-kubeconfig`);
        }
        s.kubeconfigReady = true;
      }
    } catch (err) {
      s.certificates = { available: false, message: errMessage(err) };
      return { requeueAfter: 10_000 };
    }
  }

  /** Initialised: the first control-plane member's init has made the workload API answer. */
  private async reconcileInitialized(s: ClusterScope): Promise<PhaseResult | void> {
    const { cluster } = s;
    s.cpMachines = await this.controlPlaneMachines(cluster);
    // A control-plane Machine this controller just created or deleted must show in the cache before it counts again.
    if (!this.expectations.satisfied(keyOf(cluster), viewOf(s.cpMachines))) return { stop: true, requeueAfter: 1000 };
    s.initialized = cluster.status?.controlPlaneInitialized === true;
    if (s.initialized || !s.kubeconfigReady || !s.cpMachines.some((m) => m.spec.providerID)) return;
    s.initialized = await this.probeInitialized(cluster, s.cpMachines);
    if (!s.initialized) return { requeueAfter: this.poll };
    this.recorder.event(cluster, 'Normal', 'ControlPlaneInitialized', 'the workload cluster API answers through the control-plane endpoint');
  }

  /** The managed control plane: the version-skew guard, then one step (create, delete or wait). */
  private async reconcileControlPlane(s: ClusterScope): Promise<PhaseResult | void> {
    const { cluster } = s;
    const cp = cluster.spec.controlPlane;
    if (!cp) return;
    const members = s.cpMachines.map(toMember);
    const desired: CPDesired = { replicas: cp.replicas ?? 1, version: cp.version, templateHash: templateHash(cp) };
    s.desired = desired;
    const problem = controlPlaneVersionProblem(members, desired);
    s.versionSkew = problem ? { ok: false, reason: problem.reason, message: problem.message } : { ok: true };
    const prev = findCondition(cluster.status?.conditions, ClusterConditions.VersionSkewOk);
    if (problem && (prev?.status !== 'False' || prev.reason !== problem.reason || prev.message !== problem.message)) {
      this.recorder.event(cluster, 'Warning', problem.reason, `control plane held at its current version: ${problem.message}`);
    }
    if (!(s.infra.ready && s.infra.endpointSet && s.certificates.available)) return;
    const action = nextControlPlaneAction(members, desired, s.initialized);
    s.cpMessage = await this.apply(cluster, action, desired, s.ctx);
    if (s.initialized && controlPlaneAt(members, desired)) await this.syncAddons(cluster, desired, s.ctx);
    if (action.type !== 'none') return { requeueAfter: action.type === 'wait' ? 5000 : 1000 };
  }

  /** Status from what the phases before found (computeClusterStatus); written with everything else at the end. */
  private reconcileStatus(s: ClusterScope): PhaseResult | void {
    const { cluster } = s;
    const members = s.cpMachines.map(toMember);
    const counts = controlPlaneCounts(members, s.desired);
    const desiredReplicas = s.desired ? s.desired.replicas : counts.replicas;
    const obs: ClusterObservation = {
      generation: cluster.metadata.generation,
      deleting: false,
      infrastructure: s.infra,
      certificates: s.certificates,
      initialized: s.initialized,
      desiredReplicas,
      counts,
      version: lowestVersion(s.cpMachines) ?? cluster.spec.controlPlane?.version,
      controlPlaneMessage: s.cpMessage,
      versionSkew: s.versionSkew,
    };
    const wasReady = cluster.status?.controlPlaneReady === true;
    cluster.status = computeClusterStatus(cluster.status, obs);
    if (cluster.status.controlPlaneReady && !wasReady) {
      this.recorder.event(cluster, 'Normal', 'ControlPlaneReady', `${counts.readyReplicas}/${desiredReplicas} control-plane machines are Ready`);
    }
    if (!cluster.status.controlPlaneReady) return { requeueAfter: 5000 };
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
      this.recorder.event(cluster, 'Warning', 'InfrastructureError', `reconciling the cluster infrastructure: ${errMessage(err)}`);
      this.deps.logger?.warn({ cluster: `${cluster.metadata.namespace ?? 'default'}/${cluster.metadata.name}`, err: errMessage(err) }, 'cluster infrastructure failed; retrying');
      return { ready: false, endpointSet: !!cluster.spec.controlPlaneEndpoint, waiting: errMessage(err), requeueAfterMs: 5000 };
    }
    if (res.status === 'failed') {
      this.recorder.event(cluster, 'Warning', res.reason, res.message);
      return { ready: false, endpointSet: !!cluster.spec.controlPlaneEndpoint, failure: { reason: res.reason, message: res.message } };
    }
    if (res.status === 'pending') {
      return { ready: false, endpointSet: !!cluster.spec.controlPlaneEndpoint, waiting: res.message ?? 'infrastructure is being provisioned', requeueAfterMs: res.requeueAfterMs };
    }
    const ep = res.value.controlPlaneEndpoint;
    if (ep && !cluster.spec.controlPlaneEndpoint) {
      // Written with the rest of this reconcile's changes (one deferred patch).
      cluster.spec.controlPlaneEndpoint = { host: ep.host, port: ep.port };
      this.recorder.event(cluster, 'Normal', 'InfrastructureReady', `control-plane endpoint is ${ep.host}:${ep.port}`);
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

  /** Control-plane Machines of the cluster, from the cache (expectations cover its lag). */
  private async controlPlaneMachines(cluster: Cluster): Promise<Machine[]> {
    const list = await this.cache.list<Machine>(MACHINE_GVK, {
      namespace: cluster.metadata.namespace ?? 'default',
      labelSelector: `${Labels.clusterName}=${cluster.metadata.name!},${Labels.controlPlane}`,
    });
    return list.filter((m) => m.spec.clusterName === cluster.metadata.name);
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
        const m = await this.client.create<Machine>(controlPlaneMachine(cluster, desired));
        this.expectations.expectCreate(keyOf(cluster), m.metadata.name!);
        ctx.log.info({ machine: m.metadata.name, role: action.role }, 'created control-plane machine');
        this.recorder.event(cluster, 'Normal', 'ControlPlaneMachineCreated',
          `created control-plane machine ${m.metadata.name} (${action.role === 'init' ? 'init' : 'join --control-plane'}, ${desired.version})`);
        return `creating control-plane machine ${m.metadata.name}`;
      }
      case 'delete': {
        try {
          await this.client.delete({ ...MACHINE_GVK, metadata: { name: action.machine, namespace: cluster.metadata.namespace } });
          this.expectations.expectDelete(keyOf(cluster), action.machine);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        ctx.log.info({ machine: action.machine, reason: action.reason }, 'deleting control-plane machine');
        this.recorder.event(cluster, 'Normal', 'ControlPlaneMachineDeleted', `deleting control-plane machine ${action.machine} (${action.reason})`);
        return `deleting control-plane machine ${action.machine} (${action.reason})`;
      }
    }
  }

  /** What uses the control plane, then the control plane, then the infrastructure, the Secrets, the finalizer. */
  private async reconcileDelete(cluster: Cluster, ctx: ReconcileContext): Promise<Result> {
    if (!(cluster.metadata.finalizers ?? []).includes(Finalizers.cluster)) return {};
    const outcome = await patchAfter(this.client, cluster, () => runPhases(cluster, [
      (c) => this.markDeleting(c),
      (c) => this.deleteDescendants(c, ctx),
      (c) => this.deleteInfrastructure(c),
    ]));
    if (!outcome.completed) return toResult(outcome);
    await deleteOwnedSecrets(this.client, cluster);
    await this.workloads.forget(cluster.metadata.namespace ?? 'default', cluster.metadata.name!);
    await releaseFinalizer(this.client, CLUSTER_GVK, cluster, Finalizers.cluster);
    ctx.log.info('cluster deleted');
    return {};
  }

  private markDeleting(cluster: Cluster): void {
    if (cluster.status?.phase === 'Deleting') return;
    cluster.status = { ...(cluster.status ?? {}), phase: 'Deleting' };
    this.recorder.event(cluster, 'Normal', 'Deleting', 'deleting machine deployments, machine sets, machines, then infrastructure');
  }

  /** One kind at a time (deletion.ts): each waits until the kind before it is gone. */
  private async deleteDescendants(cluster: Cluster, ctx: ReconcileContext): Promise<PhaseResult | void> {
    const ns = cluster.metadata.namespace ?? 'default';
    const name = cluster.metadata.name!;
    const mine = <T extends { spec: { clusterName: string } }>(items: T[]): T[] => items.filter((x) => x.spec.clusterName === name);
    const [mds, mss, machines] = await Promise.all([
      this.client.list<MachineDeployment>(MACHINEDEPLOYMENT_GVK, { namespace: ns }).then((l) => mine(l.items)),
      this.client.list<MachineSet>(MACHINESET_GVK, { namespace: ns }).then((l) => mine(l.items)),
      this.client.list<Machine>(MACHINE_GVK, { namespace: ns }).then((l) => mine(l.items)),
    ]);
    const isCP = (m: Machine): boolean => Object.prototype.hasOwnProperty.call(m.metadata.labels ?? {}, Labels.controlPlane);
    const workers = machines.filter((m) => !isCP(m));
    const cps = machines.filter(isCP);
    const step = nextDeletionStep({ machineDeployments: mds.length, machineSets: mss.length, workerMachines: workers.length, controlPlaneMachines: cps.length });
    const batch: KubeObject[] = step === 'MachineDeployments' ? mds : step === 'MachineSets' ? mss : step === 'WorkerMachines' ? workers : step === 'ControlPlaneMachines' ? cps : [];
    if (batch.length === 0) return;
    for (const o of batch) {
      if (o.metadata.deletionTimestamp) continue;
      try {
        await this.client.delete(o, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    ctx.log.info({ step, remaining: batch.length }, 'deleting cluster');
    return { stop: true, requeueAfter: 1000 };
  }

  /** Nothing runs on the infrastructure any more. */
  private async deleteInfrastructure(cluster: Cluster): Promise<PhaseResult | void> {
    let provider;
    try {
      provider = await this.deps.providers.get(cluster.spec.infrastructure.provider);
    } catch {
      return; // an unknown provider never created anything
    }
    const res = await provider.deleteClusterInfrastructure({ cluster });
    if (res.status === 'pending') return { stop: true, requeueAfter: res.requeueAfterMs };
    if (res.status === 'failed') {
      this.recorder.event(cluster, 'Warning', res.reason, `deleting infrastructure: ${res.message}`);
      return { stop: true, requeueAfter: 30_000 };
    }
  }
}

const keyOf = (c: Cluster): string => requestKey({ namespace: c.metadata.namespace ?? 'default', name: c.metadata.name! });

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
