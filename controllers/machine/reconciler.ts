/**
 * The Machine controller: bootstrap data, the provider machine, the Node, and an orderly removal of all
 * three. Every step is idempotent, and the finalizer goes on before the provider is ever called, so a
 * daemon killed at any point resumes where it was and never leaves a provider machine behind.
 */
import { Finalizers, Labels, type Cluster, type Machine, type MachineStatus } from '../../api/v1alpha1/index.js';
import { caCertHash } from '../../lib/pki.js';
import type { Reader } from '../../runtime/cache/cache.js';
import type { Client } from '../../runtime/client.js';
import { isAlreadyExists, isConflict, ignoreNotFound, isNotFound } from '../../runtime/errors.js';
import { PatchHelper } from '../../runtime/patch.js';
import type { EventRecorder } from '../../runtime/recorder.js';
import type { KubeObject, ReconcileContext, Reconciler, Request, Result } from '../../runtime/types.js';
import type { InfrastructureProvider, ClusterLike, ProviderMachine } from '../../providers/types.js';
import { setCondition } from '../cluster/conditions.js';
import { CLUSTER_GVK, errMessage, MACHINE_GVK, type ControllerDeps } from '../cluster/deps.js';
import { certificateKeySecretStore, ensureKubeadmCerts, joinTokenSecret } from '../cluster/kubeadm-certs.js';
import { BOOTSTRAP_SECRET_TYPE, ControllerAnnotations, secretNames } from '../cluster/names.js';
import { clusterOwnerRef } from '../cluster/pki.js';
import { readClusterPKI, SECRET_GVK } from '../cluster/secrets.js';
import { nodeReady, WorkloadClusters } from '../cluster/workload.js';
import { bootstrapExtras, machineVersion, type BootstrapDataInput, type CloudInitRenderer } from './bootstrap-data.js';
import { resolveFileContent } from './file-content.js';
import { hexID } from '../../bootstrap/etcd/membership.js';
import { etcdPeerURL } from '../../bootstrap/manifests.js';
import { cordon, deleteNode, drainPass, removeEtcdMember } from './drain.js';
import { encodeProvisionedSpec, immutableFieldChanges, isOwnedByMachineSet } from './immutable.js';
import { machinePhase } from './phase.js';
import { MachineConditions } from './ready.js';
import { decideRole, isControlPlaneMachine, type BootstrapRole } from './role.js';

const asKube = <T>(o: T): T & KubeObject => o as T & KubeObject;
/** The peer URL kubeadm's stacked etcd gives the machine: https://<its InternalIP>:2380. */
const etcdPeerURLOf = (m: Machine): string | undefined => {
  const ip = m.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  return ip ? etcdPeerURL(ip) : undefined;
};
const DEFAULT_JOIN_TOKEN_TTL = 15 * 60;
/** How long drain keeps trying when the workload API does not answer and no nodeDrainTimeoutSeconds is set. */
const UNREACHABLE_DRAIN_LIMIT_MS = 30_000;

interface Step {
  /** Stop here and requeue after this long (the status is still written). */
  requeueAfter?: number;
  stop?: boolean;
}

export class MachineReconciler implements Reconciler {
  /** providerID → Machine, so a Node event in a workload cluster wakes the right Machine. */
  readonly byProviderID = new Map<string, Request>();
  private readonly poll: number;

  constructor(
    private readonly client: Client,
    /** The manager's cache: the Machine and its Cluster are read from it; writes go through client. */
    private readonly cache: Reader,
    private readonly recorder: EventRecorder,
    private readonly deps: ControllerDeps,
    private readonly workloads: WorkloadClusters,
    private readonly render: CloudInitRenderer,
  ) {
    this.poll = deps.pollIntervalMs ?? 2000;
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    let machine = await ignoreNotFound(this.cache.get<Machine & KubeObject>(MACHINE_GVK, req));
    if (!machine) return {};
    const cluster = await ignoreNotFound(this.cache.get<Cluster & KubeObject>(CLUSTER_GVK, { namespace: req.namespace, name: machine.spec.clusterName }));
    if (cluster?.spec.paused) return {};
    if (machine.metadata.deletionTimestamp) return this.reconcileDelete(machine, cluster, ctx);
    if (!cluster) {
      const helper = new PatchHelper(this.client, asKube(machine));
      machine.status = { ...(machine.status ?? {}), phase: 'Pending' };
      machine.status.conditions = setCondition(machine.status.conditions, { type: MachineConditions.Ready, status: 'False', reason: 'WaitingForCluster', message: `Cluster ${machine.spec.clusterName} does not exist` });
      await helper.patch(asKube(machine));
      return { requeueAfter: 10_000 };
    }
    // Finalizer and the cluster label in one write, before anything is created for this Machine.
    const hasFinalizer = (machine.metadata.finalizers ?? []).includes(Finalizers.machine);
    const hasLabel = machine.metadata.labels?.[Labels.clusterName] === cluster.metadata.name;
    if (!hasFinalizer || !hasLabel) {
      machine = await this.client.patch<Machine & KubeObject>(asKube(machine), {
        metadata: {
          resourceVersion: machine.metadata.resourceVersion,
          ...(hasFinalizer ? {} : { finalizers: [...(machine.metadata.finalizers ?? []), Finalizers.machine] }),
          ...(hasLabel ? {} : { labels: { [Labels.clusterName]: cluster.metadata.name! } }),
        },
      });
    }
    return this.reconcileNormal(machine, cluster, ctx);
  }

  private async reconcileNormal(machine: Machine, cluster: Cluster, ctx: ReconcileContext): Promise<Result> {
    const helper = new PatchHelper(this.client, asKube(machine));
    machine.status ??= {};
    const prevPhase = machine.status.phase;
    let result: Step = {};
    try {
      result = await this.steps(machine, cluster, ctx);
    } finally {
      this.updatePhase(machine, prevPhase);
      await helper.patch(asKube(machine));
    }
    return result.requeueAfter !== undefined ? { requeueAfter: result.requeueAfter } : {};
  }

  private async steps(machine: Machine, cluster: Cluster, ctx: ReconcileContext): Promise<Step> {
    const st = machine.status!;
    const g = machine.metadata.generation;
    const cond = (type: string, status: 'True' | 'False', reason?: string, message?: string, severity?: 'Error' | 'Warning' | 'Info'): void => {
      st.conditions = setCondition(st.conditions, { type, status, reason, message, severity }, g);
    };

    // Immutability: a MachineSet-owned Machine keeps what it was provisioned with.
    const changed = immutableFieldChanges(machine);
    if (changed.length > 0 && isOwnedByMachineSet(machine)) {
      const already = st.conditions?.find((c) => c.type === MachineConditions.SpecImmutable && c.status === 'False');
      const msg = `${changed.join(', ')} cannot change on a Machine owned by a MachineSet: the change is ignored; change the MachineSet or MachineDeployment template to replace Machines`;
      cond(MachineConditions.SpecImmutable, 'False', 'ImmutableFieldChanged', msg, 'Warning');
      if (!already) this.recorder.event(asKube(machine), 'Warning', 'ImmutableFieldChanged', msg);
    } else if (st.conditions?.some((c) => c.type === MachineConditions.SpecImmutable)) {
      st.conditions = st.conditions.filter((c) => c.type !== MachineConditions.SpecImmutable);
    }

    if (st.failureReason) return { stop: true }; // failed for good: stays Failed until deleted

    // 1. The cluster's infrastructure and endpoint.
    const ep = cluster.spec.controlPlaneEndpoint;
    if (!cluster.status?.infrastructureReady || !ep) {
      cond(MachineConditions.InfrastructureReady, 'False', 'WaitingForClusterInfrastructure', 'waiting for the cluster infrastructure and control-plane endpoint');
      cond(MachineConditions.Ready, 'False', 'WaitingForClusterInfrastructure', 'waiting for the cluster infrastructure');
      return { requeueAfter: this.poll };
    }

    // 2. Bootstrap data.
    const boot = await this.reconcileBootstrap(machine, cluster, ep, ctx);
    if (boot.waiting) {
      st.bootstrapReady = false;
      cond(MachineConditions.BootstrapReady, 'False', boot.reason ?? 'WaitingForBootstrapData', boot.waiting);
      cond(MachineConditions.Ready, 'False', boot.reason ?? 'WaitingForBootstrapData', boot.waiting);
      return { requeueAfter: boot.requeueAfter ?? this.poll };
    }
    st.bootstrapReady = true;
    cond(MachineConditions.BootstrapReady, 'True');

    // 3. The provider machine.
    const infra = await this.reconcileInfrastructure(machine, cluster, boot.userData!);
    if (infra.failed) {
      st.failureReason = infra.failed.reason;
      st.failureMessage = infra.failed.message;
      st.infrastructureReady = false;
      cond(MachineConditions.InfrastructureReady, 'False', infra.failed.reason, infra.failed.message, 'Error');
      cond(MachineConditions.Ready, 'False', infra.failed.reason, infra.failed.message, 'Error');
      this.recorder.event(asKube(machine), 'Warning', infra.failed.reason, infra.failed.message);
      return { stop: true };
    }
    if (!infra.running) {
      st.infrastructureReady = false;
      cond(MachineConditions.InfrastructureReady, 'False', 'Provisioning', infra.message ?? 'the provider is creating the machine');
      cond(MachineConditions.Ready, 'False', 'Provisioning', infra.message ?? 'the provider is creating the machine');
      return { requeueAfter: infra.requeueAfter ?? this.poll };
    }
    if (!st.infrastructureReady) this.recorder.event(asKube(machine), 'Normal', 'InfrastructureReady', `provider machine ${machine.spec.providerID} is running`);
    st.infrastructureReady = true;
    cond(MachineConditions.InfrastructureReady, 'True');

    // A bootstrap the provider saw fail (the agent's preflight, a join that gave up) never brings a Node: say so
    // rather than wait for one. Level-triggered: a machine whose bootstrap is re-run and succeeds clears it.
    const bs = infra.bootstrap;
    if (bs?.state === 'Failed' && !st.nodeRef) {
      const reason = bs.reason ?? 'BootstrapFailed';
      const message = bs.message ?? 'the machine\'s bootstrap failed';
      const prev = st.conditions?.find((c) => c.type === MachineConditions.BootstrapExecSucceeded);
      cond(MachineConditions.BootstrapExecSucceeded, 'False', reason, message, 'Error');
      cond(MachineConditions.NodeHealthy, 'False', reason, 'no Node will register: the machine\'s bootstrap failed');
      cond(MachineConditions.Ready, 'False', reason, message, 'Error');
      if (prev?.status !== 'False' || prev.message !== message) this.recorder.event(asKube(machine), 'Warning', reason, message);
      return { requeueAfter: this.poll * 5 };
    }
    if (bs?.state === 'Succeeded') cond(MachineConditions.BootstrapExecSucceeded, 'True');

    // 4. The Node.
    const providerID = machine.spec.providerID!;
    const node = await this.workloads.nodeByProviderID(machine.metadata.namespace ?? 'default', cluster.metadata.name!, providerID).catch(() => undefined);
    if (!node) {
      cond(MachineConditions.NodeHealthy, 'False', 'WaitingForNode', `waiting for a Node with providerID ${providerID}`);
      cond(MachineConditions.Ready, 'False', 'WaitingForNode', 'waiting for the node to register');
      return { requeueAfter: this.poll * 2 };
    }
    if (!st.nodeRef) this.recorder.event(asKube(machine), 'Normal', 'NodeRegistered', `node ${node.metadata.name} registered`);
    st.nodeRef = { apiVersion: 'v1', kind: 'Node', name: node.metadata.name!, uid: node.metadata.uid };
    const kv = node.status?.nodeInfo?.kubeletVersion;
    if (kv) st.version = kv;
    const nr = nodeReady(node);
    if (nr.ready) {
      cond(MachineConditions.NodeHealthy, 'True');
      cond(MachineConditions.Ready, 'True');
      return {};
    }
    cond(MachineConditions.NodeHealthy, 'False', nr.reason ?? 'NodeNotReady', nr.message ?? 'the node is not Ready');
    cond(MachineConditions.Ready, 'False', 'NodeNotReady', nr.message ?? 'the node is not Ready');
    return { requeueAfter: this.poll * 5 };
  }

  private updatePhase(machine: Machine, prev: MachineStatus['phase']): void {
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

  /** The bootstrap Secret: reused when it exists, else rendered for the role this Machine gets. */
  private async reconcileBootstrap(machine: Machine, cluster: Cluster, ep: { host: string; port: number }, ctx: ReconcileContext):
    Promise<{ userData?: string; waiting?: string; reason?: string; requeueAfter?: number }> {
    const ns = machine.metadata.namespace ?? 'default';
    const secretName = secretNames.bootstrap(machine.metadata.name!);
    const existing = await this.getSecret(ns, secretName);
    if (existing && existing.data?.value) {
      const ttlMs = (this.deps.joinTokenTTLSeconds ?? DEFAULT_JOIN_TOKEN_TTL) * 1000;
      const age = Date.now() - Date.parse(existing.metadata.creationTimestamp ?? '');
      // Not handed to the provider yet and its token is about to expire: render it again.
      if (!machine.spec.providerID && age > ttlMs - 120_000 && existing.metadata.annotations?.['clusterd.dev/role'] !== 'init') {
        await this.client.delete({ ...SECRET_GVK, metadata: { name: secretName, namespace: ns } }).catch(() => undefined);
      } else {
        this.recordBootstrap(machine, secretName);
        return { userData: Buffer.from(existing.data.value, 'base64').toString('utf8') };
      }
    }
    const version = machineVersion(machine, cluster);
    if (!version) return { waiting: 'spec.version: Required value: the Machine has no version and the Cluster has no managed control plane', reason: 'MissingVersion', requeueAfter: 30_000 };

    // Before anything is created for this Machine (a join token), so a missing Secret costs nothing.
    const files = await resolveFileContent(bootstrapExtras(machine), async (name) => (await this.getSecret(ns, name))?.data);
    // Looked for again on the poll: watching every Secret of every namespace for this would cache them all.
    if (files.missing) return { waiting: files.missing, reason: 'BootstrapFileSecretMissing' };

    const role = await this.decideRole(machine, cluster);
    if ('wait' in role) return { waiting: role.wait, reason: 'WaitingForControlPlane' };
    const pki = await readClusterPKI(this.client, ns, cluster.metadata.name!);
    if (!pki) return { waiting: 'waiting for the cluster certificates', reason: 'WaitingForCertificates' };

    const input: BootstrapDataInput = {
      role: role.role,
      clusterName: cluster.metadata.name!,
      nodeName: machine.metadata.name!,
      version,
      controlPlaneEndpoint: ep,
      clusterNetwork: cluster.spec.clusterNetwork,
      kubeadm: cluster.spec.kubeadm,
      token: '',
      caCertHashes: [caCertHash(pki.ca.certPem)],
      extras: files.extras,
    };
    const ttl = this.deps.joinTokenTTLSeconds ?? DEFAULT_JOIN_TOKEN_TTL;
    if (role.role === 'init') {
      const keys = certificateKeySecretStore(this.client, ns, cluster.metadata.name!, [clusterOwnerRef(cluster)]);
      input.certificateKey = await keys.read();
      if (!input.certificateKey) return { waiting: 'waiting for the cluster certificate key', reason: 'WaitingForCertificates' };
      input.token = joinTokenSecret(ttl, 'init').token;
      input.certs = pki;
    } else {
      let wc: Client;
      try {
        wc = await this.workloads.client(ns, cluster.metadata.name!);
      } catch (err) {
        return { waiting: `cannot reach the workload cluster yet: ${errMessage(err)}`, reason: 'WaitingForControlPlane' };
      }
      if (role.role === 'join-control-plane') {
        const keys = certificateKeySecretStore(this.client, ns, cluster.metadata.name!, [clusterOwnerRef(cluster)]);
        const r = await ensureKubeadmCerts({ lockKey: `${ns}/${cluster.metadata.name}`, workload: wc, keys, pki });
        if (r.uploaded) this.recorder.event(asKube(cluster), 'Normal', 'CertificatesUploaded', 'uploaded the shared certificates to kubeadm-certs under a fresh certificate key');
        input.certificateKey = r.certificateKey;
      }
      const { token, secret } = joinTokenSecret(ttl, `clusterd join token for Machine ${ns}/${machine.metadata.name}`);
      await wc.create(secret);
      input.token = token;
    }
    const userData = this.render(input);
    try {
      await this.client.create({
        ...SECRET_GVK,
        metadata: {
          name: secretName, namespace: ns,
          labels: { [Labels.clusterName]: cluster.metadata.name! },
          annotations: { 'clusterd.dev/role': role.role },
          ownerReferences: [{ apiVersion: 'clusterd.dev/v1alpha1', kind: 'Machine', name: machine.metadata.name!, uid: machine.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        type: BOOTSTRAP_SECRET_TYPE,
        data: { value: Buffer.from(userData).toString('base64'), format: Buffer.from('cloud-config').toString('base64') },
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const again = await this.getSecret(ns, secretName);
      this.recordBootstrap(machine, secretName);
      return { userData: Buffer.from(again?.data?.value ?? '', 'base64').toString('utf8') };
    }
    ctx.log.info({ role: role.role }, 'bootstrap data rendered');
    this.recorder.event(asKube(machine), 'Normal', 'BootstrapDataReady', `rendered cloud-init (${role.role}) into Secret ${secretName}`);
    this.recordBootstrap(machine, secretName);
    return { userData };
  }

  private recordBootstrap(machine: Machine, secretName: string): void {
    machine.spec.bootstrap = { ...(machine.spec.bootstrap ?? {}), dataSecretName: secretName };
    machine.metadata.annotations ??= {};
    machine.metadata.annotations[ControllerAnnotations.provisionedSpec] ??= encodeProvisionedSpec(machine);
  }

  private async decideRole(machine: Machine, cluster: Cluster): Promise<{ role: BootstrapRole } | { wait: string }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimedBy = cluster.metadata.annotations?.[ControllerAnnotations.initMachine];
      let claimantExists = false;
      if (claimedBy && claimedBy !== machine.metadata.name) {
        try {
          const other = await this.client.get<Machine & KubeObject>(MACHINE_GVK, { namespace: machine.metadata.namespace, name: claimedBy });
          claimantExists = !other.metadata.deletionTimestamp;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      const d = decideRole(machine, cluster, claimantExists);
      if (!('claimInit' in d)) return d;
      try {
        // resourceVersion makes the claim atomic: a concurrent claim conflicts and we decide again.
        cluster = await this.client.patch<Cluster & KubeObject>(asKube(cluster), {
          metadata: { resourceVersion: cluster.metadata.resourceVersion, annotations: { [ControllerAnnotations.initMachine]: machine.metadata.name! } },
        });
      } catch (err) {
        if (!isConflict(err)) throw err;
        cluster = await this.client.get<Cluster & KubeObject>(CLUSTER_GVK, { namespace: cluster.metadata.namespace, name: cluster.metadata.name! });
      }
    }
    return { wait: 'another control-plane machine is claiming init' };
  }

  private async reconcileInfrastructure(machine: Machine, cluster: Cluster, userData: string):
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

  private getSecret(namespace: string, name: string): Promise<(KubeObject & { data?: Record<string, string> }) | undefined> {
    return ignoreNotFound(this.client.get(SECRET_GVK, { namespace, name }));
  }

  /**
   * A control-plane Machine's etcd member is removed through the etcd API before its Node and machine go (false: not
   * yet; the condition and a Warning Event say why, and the deletion waits, since a machine gone with its member still
   * voting leaves etcd one failure from losing quorum).
   */
  private async removeEtcdMember(machine: Machine, wc: Client, ns: string, clusterName: string, nodeName: string): Promise<boolean> {
    let message: string;
    try {
      const pki = await readClusterPKI(this.client, ns, clusterName);
      if (!pki?.etcd.keyPem) throw new Error(`the etcd CA Secret ${secretNames.etcd(clusterName)} (with its key) is needed to sign an etcd client certificate`);
      const r = await removeEtcdMember(wc, nodeName, pki.etcd, etcdPeerURLOf(machine));
      if (r.result === 'removed') this.recorder.event(asKube(machine), 'Normal', 'EtcdMemberRemoved', `removed etcd member ${nodeName} (${hexID(r.id)}) through the etcd API`);
      machine.status!.conditions = setCondition(machine.status!.conditions, {
        type: MachineConditions.EtcdMemberRemoved, status: 'True', reason: r.result === 'removed' ? 'EtcdMemberRemoved' : r.result === 'absent' ? 'EtcdMemberAbsent' : 'EtcdLastMember',
      });
      return true;
    } catch (err) {
      message = `could not remove etcd member ${nodeName}: ${errMessage(err)}`;
    }
    machine.status!.conditions = setCondition(machine.status!.conditions, { type: MachineConditions.EtcdMemberRemoved, status: 'False', reason: 'EtcdMemberRemovalFailed', message });
    this.recorder.event(asKube(machine), 'Warning', 'EtcdMemberRemovalFailed', message);
    return false;
  }

  /**
   * A control-plane Machine whose Node never registered may still have been added to etcd as a learner (a join that
   * failed after etcd-join's first step): found by its peer URL and removed, since etcd takes one learner at a time
   * and an orphan would block every later join. Best effort: a machine that never joined is never held up by it.
   */
  private async removeUnjoinedEtcdMember(machine: Machine, ns: string, clusterName: string, ctx: ReconcileContext): Promise<void> {
    const peerURL = etcdPeerURLOf(machine);
    if (!peerURL) return;
    try {
      const pki = await readClusterPKI(this.client, ns, clusterName);
      if (!pki?.etcd.keyPem) return;
      const wc = await this.workloads.client(ns, clusterName);
      const r = await removeEtcdMember(wc, '', pki.etcd, peerURL, 1000);
      if (r.result === 'removed') this.recorder.event(asKube(machine), 'Normal', 'EtcdMemberRemoved', `removed etcd member ${hexID(r.id)} (${peerURL}), which never joined, through the etcd API`);
    } catch (err) {
      ctx.log.info({ err: errMessage(err) }, 'no etcd member of this machine removed (it never joined, or etcd is not reachable)');
    }
  }

  /** Drain, etcd member, Node, provider machine, finalizer: each step repeated until it is done. */
  private async reconcileDelete(machine: Machine, cluster: Cluster | undefined, ctx: ReconcileContext): Promise<Result> {
    if (!(machine.metadata.finalizers ?? []).includes(Finalizers.machine)) return {};
    const ns = machine.metadata.namespace ?? 'default';
    const helper = new PatchHelper(this.client, asKube(machine));
    machine.status ??= {};
    if (machine.status.phase !== 'Deleting') {
      machine.status.phase = 'Deleting';
      machine.status.conditions = setCondition(machine.status.conditions, { type: MachineConditions.Ready, status: 'False', reason: 'Deleting', message: 'the machine is being deleted' });
      this.recorder.event(asKube(machine), 'Normal', 'Deleting', 'draining and deleting the machine');
    }
    const clusterGoing = !cluster || !!cluster.metadata.deletionTimestamp;
    const nodeName = machine.status.nodeRef?.name;
    if (!clusterGoing && nodeName && cluster) {
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
          machine.status.conditions = setCondition(machine.status.conditions, { type: MachineConditions.Draining, status: 'True', reason: 'Draining', message: `${remaining} pods are being evicted from ${nodeName}` });
          await helper.patch(asKube(machine));
          return { requeueAfter: this.poll };
        }
        if (timedOut) this.recorder.event(asKube(machine), 'Warning', 'DrainTimeout', `node ${nodeName} did not drain within ${machine.spec.nodeDrainTimeoutSeconds}s; deleting anyway`);
        if (isControlPlaneMachine(machine) && !(await this.removeEtcdMember(machine, wc, ns, cluster.metadata.name!, nodeName))) {
          await helper.patch(asKube(machine));
          return { requeueAfter: this.poll };
        }
        await deleteNode(wc, nodeName);
      } catch (err) {
        const limit = timeoutMs && timeoutMs > 0 ? timeoutMs : UNREACHABLE_DRAIN_LIMIT_MS;
        if (since < limit) {
          ctx.log.info({ err: errMessage(err) }, 'workload cluster not answering while removing the node; retrying');
          await helper.patch(asKube(machine));
          return { requeueAfter: this.poll };
        }
        this.recorder.event(asKube(machine), 'Warning', 'NodeDeletionSkipped', `could not drain and delete node ${nodeName}: ${errMessage(err)}`);
      }
    }
    if (!clusterGoing && !nodeName && cluster && isControlPlaneMachine(machine)) await this.removeUnjoinedEtcdMember(machine, ns, cluster.metadata.name!, ctx);
    const provider = await this.providerFor(machine, cluster);
    if (!('failed' in provider)) {
      const stub: ClusterLike = cluster ?? { metadata: { name: machine.spec.clusterName, namespace: ns } };
      const res = await provider.deleteMachine({ cluster: stub, machine: withProvider(machine, cluster) });
      if (res.status === 'pending') {
        await helper.patch(asKube(machine));
        return { requeueAfter: res.requeueAfterMs };
      }
      if (res.status === 'failed') {
        this.recorder.event(asKube(machine), 'Warning', res.reason, `deleting the provider machine: ${res.message}`);
        await helper.patch(asKube(machine));
        return { requeueAfter: 30_000 };
      }
    }
    await helper.patch(asKube(machine));
    if (machine.spec.providerID) this.byProviderID.delete(machine.spec.providerID);
    const fresh = await this.client.get<Machine & KubeObject>(MACHINE_GVK, { namespace: ns, name: machine.metadata.name! });
    await this.client.patch(asKube(fresh), {
      metadata: { resourceVersion: fresh.metadata.resourceVersion, finalizers: (fresh.metadata.finalizers ?? []).filter((f) => f !== Finalizers.machine) },
    });
    ctx.log.info('machine deleted');
    return {};
  }
}

/** The Machine as the provider sees it: infrastructure.provider defaulted to the Cluster's. */
function withProvider(m: Machine, c: Cluster | undefined): Machine {
  if (m.spec.infrastructure?.provider || !c) return m;
  return { ...m, spec: { ...m.spec, infrastructure: { ...(m.spec.infrastructure ?? {}), provider: c.spec.infrastructure.provider } } };
}
