/**
 * The Machine controller: bootstrap data, the provider machine, the Node, and an orderly removal of all
 * three. Every phase is idempotent, and the finalizer goes on before the provider is ever called, so a
 * daemon killed at any point resumes where it was and never leaves a provider machine behind.
 *
 * The shape every controller here has: get from the cache; the paused check; the finalizer (runtime/reconcile.ts);
 * a list of small phases whose results combine; one deferred write of what they changed.
 */
import { Finalizers, Labels, type Cluster, type Machine } from '../../api/v1alpha1/index.js';
import { withCondition } from '../../runtime/conditions.js';
import { ignoreNotFound } from '../../runtime/errors.js';
import { ensureFinalizer, patchAfter, releaseFinalizer, runPhases, toResult, type Phase, type PhaseResult, type ReconcilerEnv, EnvReconciler } from '../../runtime/reconcile.js';
import type { ReconcileContext, Request, Result } from '../../runtime/types.js';
import type { InfrastructureProvider, ClusterLike, ProviderMachine } from '../../providers/types.js';
import { errMessage } from '../shared/deps.js';
import { MACHINE_GVK } from '../shared/gvk.js';
import { ControllerAnnotations, secretNames } from '../shared/names.js';
import { readClusterPKI } from '../shared/pki.js';
import type { Client } from '../../runtime/client.js';
import { clusterOf, isPaused } from '../shared/paused.js';
import { nodeReady, type WorkloadClusters } from '../shared/workload-clusters.js';
import { MachineBootstrap } from './bootstrap.js';
import { cordon, deleteNode, drainPass } from './drain.js';
import { removeMachineEtcdMember, removeUnjoinedEtcdMember } from './etcd-member.js';
import { encodeProvisionedSpec, immutableFieldChanges, isOwnedByMachineSet } from './immutable.js';
import type { MachineControllerDeps } from './index.js';
import { machinePhase } from './phase.js';
import { MachineConditions } from './ready.js';
import { isControlPlaneMachine } from './role.js';

/** How long drain keeps trying when the workload API does not answer and no nodeDrainTimeoutSeconds is set. */
const UNREACHABLE_DRAIN_LIMIT_MS = 30_000;

/** What the phases of one reconcile share: the Machine (written once, at the end), its Cluster, and what earlier phases found. */
interface MachineScope {
  machine: Machine;
  cluster: Cluster;
  ctx: ReconcileContext;
  /** The rendered user-data, once the bootstrap phase has it. */
  userData?: string;
  /** The provider's report of the machine's bootstrap run, once the infrastructure phase has it. */
  bootstrapRun?: ProviderMachine['bootstrap'];
}

type Severity = 'Error' | 'Warning' | 'Info';

export class MachineReconciler extends EnvReconciler {
  /** providerID → Machine, so a Node event in a workload cluster wakes the right Machine. */
  readonly byProviderID = new Map<string, Request>();
  private readonly workloads: WorkloadClusters;
  private readonly bootstrap: MachineBootstrap;
  private readonly poll: number;
  /** The phases of a reconcile, in order (runtime/reconcile.ts runPhases). */
  private readonly phases: readonly Phase<MachineScope>[] = [
    this.reconcileImmutability, this.reconcileFailed, this.reconcileClusterInfrastructure, this.reconcileBootstrap, this.reconcileInfrastructure, this.reconcileBootstrapRun, this.reconcileNode,
  ].map((p) => p.bind(this));

  constructor(env: ReconcilerEnv, private readonly deps: MachineControllerDeps) {
    super(env);
    this.workloads = deps.workloads;
    this.poll = deps.pollIntervalMs ?? 2000;
    this.bootstrap = new MachineBootstrap({
      client: this.client, recorder: this.recorder, workloads: this.workloads, render: deps.renderCloudInit, joinTokenTTLSeconds: deps.joinTokenTTLSeconds,
    });
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    let machine = await ignoreNotFound(this.cache.get<Machine>(MACHINE_GVK, req));
    if (!machine) return {};
    const cluster = await clusterOf(this.cache, machine);
    if (isPaused(cluster)) return {};
    if (machine.metadata.deletionTimestamp) return this.reconcileDelete(machine, cluster, ctx);
    if (!cluster) {
      return patchAfter(this.client, machine, async (m) => {
        m.status = { ...(m.status ?? {}), phase: 'Pending' };
        m.status.conditions = withCondition(m.status.conditions, { type: MachineConditions.Ready, status: 'False', reason: 'WaitingForCluster', message: `Cluster ${m.spec.clusterName} does not exist` });
        return { requeueAfter: 10_000 };
      });
    }
    // Finalizer and the cluster label in one write, before anything is created for this Machine.
    machine = await ensureFinalizer(this.client, machine, Finalizers.machine, (meta) => {
      if (meta.labels?.[Labels.clusterName] === cluster.metadata.name) return false;
      meta.labels = { ...(meta.labels ?? {}), [Labels.clusterName]: cluster.metadata.name! };
      return true;
    });
    return patchAfter(this.client, machine, async (m) => {
      m.status ??= {};
      const prevPhase = m.status.phase;
      try {
        return toResult(await runPhases({ machine: m, cluster, ctx }, this.phases));
      } finally {
        this.updatePhase(m, prevPhase);
      }
    });
  }

  private cond(m: Machine, type: string, status: 'True' | 'False', reason?: string, message?: string, severity?: Severity): void {
    m.status ??= {};
    m.status.conditions = withCondition(m.status.conditions, { type, status, reason, message, severity }, { observedGeneration: m.metadata.generation });
  }

  /** A MachineSet-owned Machine keeps what it was provisioned with: a change is flagged, not acted on. */
  private reconcileImmutability({ machine }: MachineScope): void {
    const st = machine.status!;
    const changed = immutableFieldChanges(machine);
    if (changed.length > 0 && isOwnedByMachineSet(machine)) {
      const already = st.conditions?.find((c) => c.type === MachineConditions.SpecImmutable && c.status === 'False');
      const msg = `${changed.join(', ')} cannot change on a Machine owned by a MachineSet: the change is ignored; change the MachineSet or MachineDeployment template to replace Machines`;
      this.cond(machine, MachineConditions.SpecImmutable, 'False', 'ImmutableFieldChanged', msg, 'Warning');
      if (!already) this.recorder.event(machine, 'Warning', 'ImmutableFieldChanged', msg);
    } else if (st.conditions?.some((c) => c.type === MachineConditions.SpecImmutable)) {
      st.conditions = st.conditions.filter((c) => c.type !== MachineConditions.SpecImmutable);
    }
  }

  /** Failed for good: stays Failed until deleted. */
  private reconcileFailed({ machine }: MachineScope): PhaseResult | void {
    if (machine.status!.failureReason) return { stop: true };
  }

  private reconcileClusterInfrastructure({ machine, cluster }: MachineScope): PhaseResult | void {
    if (cluster.status?.infrastructureReady && cluster.spec.controlPlaneEndpoint) return;
    this.cond(machine, MachineConditions.InfrastructureReady, 'False', 'WaitingForClusterInfrastructure', 'waiting for the cluster infrastructure and control-plane endpoint');
    this.cond(machine, MachineConditions.Ready, 'False', 'WaitingForClusterInfrastructure', 'waiting for the cluster infrastructure');
    return { stop: true, requeueAfter: this.poll };
  }

  private async reconcileBootstrap(s: MachineScope): Promise<PhaseResult | void> {
    const { machine, cluster } = s;
    const st = machine.status!;
    const out = await this.bootstrap.reconcile(machine, cluster, cluster.spec.controlPlaneEndpoint!, s.ctx.log);
    if ('waiting' in out) {
      st.bootstrapReady = false;
      this.cond(machine, MachineConditions.BootstrapReady, 'False', out.reason, out.waiting);
      this.cond(machine, MachineConditions.Ready, 'False', out.reason, out.waiting);
      return { stop: true, requeueAfter: out.requeueAfter ?? this.poll };
    }
    // As Cluster API's Machine controller copies the bootstrap config's dataSecretName.
    machine.spec.bootstrap = { ...(machine.spec.bootstrap ?? {}), dataSecretName: out.secretName };
    machine.metadata.annotations ??= {};
    machine.metadata.annotations[ControllerAnnotations.provisionedSpec] ??= encodeProvisionedSpec(machine);
    st.bootstrapReady = true;
    this.cond(machine, MachineConditions.BootstrapReady, 'True');
    s.userData = out.userData;
  }

  /** The provider machine. */
  private async reconcileInfrastructure(s: MachineScope): Promise<PhaseResult | void> {
    const { machine, cluster } = s;
    const st = machine.status!;
    const infra = await this.createOrGetProviderMachine(machine, cluster, s.userData!);
    if (infra.failed) {
      st.failureReason = infra.failed.reason;
      st.failureMessage = infra.failed.message;
      st.infrastructureReady = false;
      this.cond(machine, MachineConditions.InfrastructureReady, 'False', infra.failed.reason, infra.failed.message, 'Error');
      this.cond(machine, MachineConditions.Ready, 'False', infra.failed.reason, infra.failed.message, 'Error');
      this.recorder.event(machine, 'Warning', infra.failed.reason, infra.failed.message);
      return { stop: true };
    }
    if (!infra.running) {
      st.infrastructureReady = false;
      this.cond(machine, MachineConditions.InfrastructureReady, 'False', 'Provisioning', infra.message ?? 'the provider is creating the machine');
      this.cond(machine, MachineConditions.Ready, 'False', 'Provisioning', infra.message ?? 'the provider is creating the machine');
      return { stop: true, requeueAfter: infra.requeueAfter ?? this.poll };
    }
    if (!st.infrastructureReady) this.recorder.event(machine, 'Normal', 'InfrastructureReady', `provider machine ${machine.spec.providerID} is running`);
    st.infrastructureReady = true;
    this.cond(machine, MachineConditions.InfrastructureReady, 'True');
    s.bootstrapRun = infra.bootstrap;
  }

  /**
   * A bootstrap the provider saw fail (the agent's preflight, a join that gave up) never brings a Node: say so
   * rather than wait for one. Level-triggered: a machine whose bootstrap is re-run and succeeds clears it.
   */
  private reconcileBootstrapRun({ machine, bootstrapRun: bs }: MachineScope): PhaseResult | void {
    const st = machine.status!;
    if (bs?.state === 'Failed' && !st.nodeRef) {
      const reason = bs.reason ?? 'BootstrapFailed';
      const message = bs.message ?? 'the machine\'s bootstrap failed';
      const prev = st.conditions?.find((c) => c.type === MachineConditions.BootstrapExecSucceeded);
      this.cond(machine, MachineConditions.BootstrapExecSucceeded, 'False', reason, message, 'Error');
      this.cond(machine, MachineConditions.NodeHealthy, 'False', reason, 'no Node will register: the machine\'s bootstrap failed');
      this.cond(machine, MachineConditions.Ready, 'False', reason, message, 'Error');
      if (prev?.status !== 'False' || prev.message !== message) this.recorder.event(machine, 'Warning', reason, message);
      return { stop: true, requeueAfter: this.poll * 5 };
    }
    if (bs?.state === 'Succeeded') this.cond(machine, MachineConditions.BootstrapExecSucceeded, 'True');
  }

  /** The Node, from the workload cluster's Node watch. */
  private async reconcileNode({ machine, cluster }: MachineScope): Promise<PhaseResult | void> {
    const st = machine.status!;
    const providerID = machine.spec.providerID!;
    const node = await this.workloads.nodeByProviderID(machine.metadata.namespace ?? 'default', cluster.metadata.name!, providerID).catch(() => undefined);
    if (!node) {
      this.cond(machine, MachineConditions.NodeHealthy, 'False', 'WaitingForNode', `waiting for a Node with providerID ${providerID}`);
      this.cond(machine, MachineConditions.Ready, 'False', 'WaitingForNode', 'waiting for the node to register');
      return { requeueAfter: this.poll * 2 };
    }
    if (!st.nodeRef) this.recorder.event(machine, 'Normal', 'NodeRegistered', `node ${node.metadata.name} registered`);
    st.nodeRef = { apiVersion: 'v1', kind: 'Node', name: node.metadata.name!, uid: node.metadata.uid };
    const kv = node.status?.nodeInfo?.kubeletVersion;
    if (kv) st.version = kv;
    const nr = nodeReady(node);
    if (nr.ready) {
      this.cond(machine, MachineConditions.NodeHealthy, 'True');
      this.cond(machine, MachineConditions.Ready, 'True');
      return;
    }
    this.cond(machine, MachineConditions.NodeHealthy, 'False', nr.reason ?? 'NodeNotReady', nr.message ?? 'the node is not Ready');
    this.cond(machine, MachineConditions.Ready, 'False', 'NodeNotReady', nr.message ?? 'the node is not Ready');
    return { requeueAfter: this.poll * 5 };
  }

  private updatePhase(machine: Machine, prev: string | undefined): void {
    const st = machine.status!;
    st.phase = machinePhase({
      deleting: !!machine.metadata.deletionTimestamp,
      failed: !!st.failureReason,
      bootstrapReady: !!st.bootstrapReady,
      hasProviderID: !!machine.spec.providerID,
      infrastructureReady: !!st.infrastructureReady,
      hasNodeRef: !!st.nodeRef,
    });
    st.observedGeneration = machine.metadata.generation;
    if (st.phase !== prev) st.lastUpdated = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private async createOrGetProviderMachine(machine: Machine, cluster: Cluster, userData: string):
    Promise<{ running?: boolean; failed?: { reason: string; message: string }; requeueAfter?: number; message?: string; bootstrap?: ProviderMachine['bootstrap'] }> {
    const provider = await this.providerFor(machine, cluster);
    if ('failed' in provider) return provider;
    const res = await provider.createOrGetMachine({ cluster: cluster as ClusterLike, machine: withProvider(machine, cluster), userData });
    if (res.status === 'failed') return { failed: { reason: res.reason, message: res.message } };
    if (res.status === 'pending') return { requeueAfter: res.requeueAfterMs, message: res.message };
    const pm = res.value;
    if (!machine.spec.providerID) machine.spec.providerID = pm.providerID;
    this.byProviderID.set(pm.providerID, { namespace: machine.metadata.namespace ?? 'default', name: machine.metadata.name! });
    machine.status!.addresses = pm.addresses;
    if (pm.state === 'Failed') return { failed: { reason: pm.failureReason ?? 'MachineFailed', message: pm.failureMessage ?? 'the provider reports the machine failed' } };
    if (pm.state !== 'Running') return { requeueAfter: this.poll, message: `provider machine is ${pm.state}` };
    return { running: true, bootstrap: pm.bootstrap };
  }

  private async providerFor(machine: Machine, cluster: Cluster | undefined): Promise<InfrastructureProvider | { failed: { reason: string; message: string } }> {
    const name = machine.spec.infrastructure?.provider ?? cluster?.spec.infrastructure.provider;
    if (!name) return { failed: { reason: 'UnknownProvider', message: 'spec.infrastructure.provider: Required value' } };
    try {
      return await this.deps.providers.get(name);
    } catch (err) {
      return { failed: { reason: 'UnknownProvider', message: `spec.infrastructure.provider: ${errMessage(err)}` } };
    }
  }

  /** Drain, etcd member, Node, provider machine, finalizer: each phase repeated until it is done. */
  private async reconcileDelete(machine: Machine, cluster: Cluster | undefined, ctx: ReconcileContext): Promise<Result> {
    if (!(machine.metadata.finalizers ?? []).includes(Finalizers.machine)) return {};
    const scope = { machine, cluster, ctx };
    const outcome = await patchAfter(this.client, machine, () => runPhases(scope, [
      (s) => this.markDeleting(s.machine),
      (s) => this.reconcileNodeDeletion(s.machine, s.cluster, s.ctx),
      (s) => this.deleteProviderMachine(s.machine, s.cluster),
    ]));
    if (!outcome.completed) return toResult(outcome);
    if (machine.spec.providerID) this.byProviderID.delete(machine.spec.providerID);
    await releaseFinalizer(this.client, MACHINE_GVK, machine, Finalizers.machine);
    ctx.log.info('machine deleted');
    return {};
  }

  private markDeleting(machine: Machine): void {
    machine.status ??= {};
    if (machine.status.phase === 'Deleting') return;
    machine.status.phase = 'Deleting';
    machine.status.conditions = withCondition(machine.status.conditions, { type: MachineConditions.Ready, status: 'False', reason: 'Deleting', message: 'the machine is being deleted' });
    this.recorder.event(machine, 'Normal', 'Deleting', 'draining and deleting the machine');
  }

  /** Cordon, drain, the etcd member of a control-plane node, the Node; skipped when the whole cluster goes. */
  /** The deleted control-plane Machine's etcd member (etcd-member.ts decides; false: not yet). */
  private async removeEtcdMember(machine: Machine, wc: Client, clusterName: string, nodeName: string): Promise<boolean> {
    const ns = machine.metadata.namespace ?? 'default';
    const pki = await readClusterPKI(this.client, ns, clusterName).catch(() => undefined);
    const o = await removeMachineEtcdMember(wc, machine, nodeName, pki?.etcd, secretNames.etcd(clusterName));
    machine.status!.conditions = withCondition(machine.status!.conditions, o.condition);
    if (o.event) this.recorder.event(machine, o.event.type, o.event.reason, o.event.message);
    return o.done;
  }

  private async removeUnjoinedEtcdMember(machine: Machine, cluster: Cluster, ctx: ReconcileContext): Promise<void> {
    const ns = machine.metadata.namespace ?? 'default';
    const pki = await readClusterPKI(this.client, ns, cluster.metadata.name!).catch(() => undefined);
    const o = await removeUnjoinedEtcdMember(() => this.workloads.client(ns, cluster.metadata.name!), machine, pki?.etcd);
    if (o.event) this.recorder.event(machine, o.event.type, o.event.reason, o.event.message);
    if (o.skipped) ctx.log.info({ err: o.skipped }, 'no etcd member of this machine removed (it never joined, or etcd is not reachable)');
  }

  private async reconcileNodeDeletion(machine: Machine, cluster: Cluster | undefined, ctx: ReconcileContext): Promise<PhaseResult | void> {
    const st = machine.status!;
    const nodeName = st.nodeRef?.name;
    if (!cluster || cluster.metadata.deletionTimestamp) return;
    const ns = machine.metadata.namespace ?? 'default';
    if (!nodeName) {
      // A control-plane machine whose Node never registered may still have joined etcd (or be a learner).
      if (isControlPlaneMachine(machine)) await this.removeUnjoinedEtcdMember(machine, cluster, ctx);
      return;
    }
    const started = machine.metadata.annotations?.[ControllerAnnotations.drainStarted];
    if (!started) {
      machine.metadata.annotations = { ...(machine.metadata.annotations ?? {}), [ControllerAnnotations.drainStarted]: new Date().toISOString() };
    }
    const since = started ? Date.now() - Date.parse(started) : 0;
    const timeoutMs = machine.spec.nodeDrainTimeoutSeconds !== undefined ? machine.spec.nodeDrainTimeoutSeconds * 1000 : undefined;
    const timedOut = timeoutMs !== undefined && timeoutMs > 0 && since > timeoutMs;
    try {
      const wc = await this.workloads.client(ns, cluster.metadata.name!);
      await cordon(wc, nodeName);
      const remaining = timedOut ? 0 : await drainPass(wc, nodeName);
      if (remaining > 0) {
        st.conditions = withCondition(st.conditions, { type: MachineConditions.Draining, status: 'True', reason: 'Draining', message: `${remaining} pods are being evicted from ${nodeName}` });
        return { stop: true, requeueAfter: this.poll };
      }
      if (timedOut) this.recorder.event(machine, 'Warning', 'DrainTimeout', `node ${nodeName} did not drain within ${machine.spec.nodeDrainTimeoutSeconds}s; deleting anyway`);
      if (isControlPlaneMachine(machine) && !(await this.removeEtcdMember(machine, wc, cluster.metadata.name!, nodeName))) {
        return { stop: true, requeueAfter: this.poll };
      }
      await deleteNode(wc, nodeName);
    } catch (err) {
      const limit = timeoutMs && timeoutMs > 0 ? timeoutMs : UNREACHABLE_DRAIN_LIMIT_MS;
      if (since < limit) {
        ctx.log.info({ err: errMessage(err) }, 'workload cluster not answering while removing the node; retrying');
        return { stop: true, requeueAfter: this.poll };
      }
      this.recorder.event(machine, 'Warning', 'NodeDeletionSkipped', `could not drain and delete node ${nodeName}: ${errMessage(err)}`);
    }
  }

  private async deleteProviderMachine(machine: Machine, cluster: Cluster | undefined): Promise<PhaseResult | void> {
    const provider = await this.providerFor(machine, cluster);
    if ('failed' in provider) return;
    const stub: ClusterLike = cluster ?? { metadata: { name: machine.spec.clusterName, namespace: machine.metadata.namespace ?? 'default' } };
    const res = await provider.deleteMachine({ cluster: stub, machine: withProvider(machine, cluster) });
    if (res.status === 'pending') return { stop: true, requeueAfter: res.requeueAfterMs };
    if (res.status === 'failed') {
      this.recorder.event(machine, 'Warning', res.reason, `deleting the provider machine: ${res.message}`);
      return { stop: true, requeueAfter: 30_000 };
    }
  }
}

/** The Machine as the provider sees it: infrastructure.provider defaulted to the Cluster's. */
function withProvider(m: Machine, c: Cluster | undefined): Machine {
  if (m.spec.infrastructure?.provider || !c) return m;
  return { ...m, spec: { ...m.spec, infrastructure: { ...(m.spec.infrastructure ?? {}), provider: c.spec.infrastructure.provider } } };
}
