/**
 * The MachineDeployment controller: one MachineSet per template revision, rolled like a Deployment's
 * ReplicaSets. Each pass reads the MachineDeployment and its MachineSets from the cache, takes at most one
 * step (create the new MachineSet, scale, or clean up) and returns; the watch on MachineSets brings it back.
 * It never acts on a MachineSet whose cached copy predates its own last write to it, nor on a status its
 * MachineSet controller has not brought up to date, so a lagging cache cannot make it over-scale.
 */
import {
  Annotations, Labels,
  type Cluster, type Machine, type MachineDeployment, type MachineSet,
} from '../../api/v1alpha1/index.js';
import { isAlreadyExists, isNotFound } from '../../runtime/errors.js';
import { fromLabelSelector, matches } from '../../runtime/labels.js';
import { viewOf } from '../../runtime/expectations.js';
import { isControlledBy } from '../../runtime/meta.js';
import type { Phase, PhaseResult } from '../../runtime/reconcile.js';
import { requestKey, type ReconcileContext } from '../../runtime/types.js';
import { MACHINE_GVK, MACHINESET_GVK, MACHINEDEPLOYMENT_GVK } from '../shared/gvk.js';
import { OwnerReconciler } from '../shared/skeleton.js';
import { activeMachineSets, findNewMachineSet, maxRevision, oldMachineSets, replicasOf, revisionOf } from './machinesets.js';
import { newMachineSetFor, replicaAnnotations } from './new-machineset.js';
import { isScalingEvent, proportionalScale } from './proportional.js';
import { decideRollout, historyToDelete, resizePatches } from './sync.js';
import { computeMDStatus } from './status.js';
import { resolveStrategy, type ResolvedStrategy } from './strategy.js';
import { checkVersionSkew, oldestControlPlaneVersion, type SkewVerdict } from './version-skew.js';

const CACHE_WAIT_MS = 500;

/** What the phases of one reconcile share: the MachineDeployment (written once, at the end) and what they found. */
interface MachineDeploymentScope {
  md: MachineDeployment;
  key: string;
  cluster: Cluster | undefined;
  ctx: ReconcileContext;
  /** The MachineSets it controls, from the cache. */
  sets: MachineSet[];
  newMS?: MachineSet;
  old: MachineSet[];
  strategy: ResolvedStrategy;
  /** A spec error that stops the rollout (invalid strategy, selector). */
  specError?: string;
  skew?: SkewVerdict;
}

export class MachineDeploymentReconciler extends OwnerReconciler<MachineDeployment, MachineDeploymentScope> {
  protected readonly gvk = MACHINEDEPLOYMENT_GVK;
  protected readonly phases: readonly Phase<MachineDeploymentScope>[] = [this.waitForCache, this.observe, this.rollout, this.status].map((p) => p.bind(this));

  protected scope(md: MachineDeployment, cluster: Cluster | undefined, key: string, ctx: ReconcileContext): MachineDeploymentScope {
    return { md, key, cluster, ctx, sets: [], old: [], strategy: { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 0 } };
  }

  /** Never act on MachineSets whose cached copies predate our own writes to them. */
  private async waitForCache(s: MachineDeploymentScope): Promise<PhaseResult | void> {
    s.sets = await this.ownedSets(s.md);
    if (!this.expectations.satisfied(s.key, viewOf(s.sets), this.now())) return { stop: true, requeueAfter: CACHE_WAIT_MS };
  }

  /** The strategy as numbers, the new and old MachineSets, and the version-skew verdict. */
  private async observe(s: MachineDeploymentScope): Promise<void> {
    const { md } = s;
    try {
      s.strategy = resolveStrategy(md);
      const probe = newMachineSetFor(md, 0, 1, 0);
      if (!matches(fromLabelSelector(md.spec.selector), probe.spec.template.metadata?.labels)) {
        throw new Error('spec.template.metadata.labels: do not match spec.selector');
      }
    } catch (err) {
      s.specError = err instanceof Error ? err.message : String(err);
      s.strategy = { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 0 };
    }
    s.newMS = findNewMachineSet(md, s.sets);
    s.old = oldMachineSets(s.sets, s.newMS);
    s.skew = md.spec.template.spec.version ? await this.versionSkew(md, s.cluster, s.newMS, s.old) : undefined;
  }

  /** At most one step of the rollout (sync.ts decides it). */
  private async rollout(s: MachineDeploymentScope): Promise<void> {
    const { md, sets, newMS, old, strategy, skew } = s;
    const desired = md.spec.replicas ?? 1;
    const blocked = skew !== undefined && !skew.ok;
    if (s.specError) {
      this.recorder.event(md, 'Warning', 'InvalidSpec', s.specError);
      return;
    }
    // Keep every MachineSet's availability rules in line with the deployment's.
    for (const ms of sets) if (await this.syncSettings(md, ms)) return;

    if (md.spec.paused || blocked) {
      if (blocked) s.ctx.log.info({ reason: skew.reason }, skew.message);
      if (isScalingEvent(desired, sets) || activeMachineSets(sets).length <= 1) await this.applySizes(md, sets, proportionalScale(desired, strategy.maxSurge, newMS, old, md.status?.replicas ?? 0), strategy, true);
      return;
    }
    const next = decideRollout({ desired, newMS, old, strategy, statusReplicas: md.status?.replicas ?? 0 });
    if (next.kind === 'create' || !newMS) {
      if (next.kind === 'create') await this.createMachineSet(md, s.key, next.replicas, next.revision, strategy, s.ctx);
      return;
    }
    if (await this.syncRevision(md, newMS, old)) return;
    if (next.kind === 'resize') await this.applySizes(md, [newMS, ...old], next.sizes, strategy, next.annotateOthers);
    if (next.cleanup) await this.cleanup(md, old);
  }

  /** Status from the MachineSets as the cache shows them after the step; written with everything else at the end. */
  private async status(s: MachineDeploymentScope): Promise<PhaseResult | void> {
    const { md, skew } = s;
    const fresh = await this.ownedSets(md);
    const freshNew = findNewMachineSet(md, fresh);
    const res = computeMDStatus({ md, newMS: freshNew, old: oldMachineSets(fresh, freshNew), maxUnavailable: s.strategy.maxUnavailable, skew, specError: s.specError, now: this.now() });
    if (res.deadlineExceeded) this.recorder.event(md, 'Warning', 'ProgressDeadlineExceeded', res.deadlineExceeded);
    if (skew !== undefined && !skew.ok && md.status?.conditions?.find((c) => c.type === 'VersionSkewOk')?.status !== 'False') {
      this.recorder.event(md, 'Warning', skew.reason, skew.message);
    }
    md.status = res.status;
    if (res.deadlineInMs !== undefined) return { requeueAfter: res.deadlineInMs + 100 };
  }

  private async ownedSets(md: MachineDeployment): Promise<MachineSet[]> {
    return (await this.cache.list<MachineSet>(MACHINESET_GVK, { namespace: md.metadata.namespace })).filter((ms) => isControlledBy(ms, md));
  }

  /** Deletes old MachineSets with no Machines beyond revisionHistoryLimit, oldest first. */
  private async cleanup(md: MachineDeployment, old: MachineSet[]): Promise<void> {
    for (const ms of historyToDelete(old, md.spec.revisionHistoryLimit ?? 1)) {
      try {
        await this.client.delete(ms, { preconditions: { uid: ms.metadata.uid }, propagationPolicy: 'Background' });
        this.recorder.event(md, 'Normal', 'MachineSetDeleted', `Deleted old MachineSet ${ms.metadata.name ?? ''} (revision ${revisionOf(ms)})`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** The new MachineSet carries revision max(old)+1, and the deployment carries the new MachineSet's revision. */
  private async syncRevision(md: MachineDeployment, newMS: MachineSet, old: MachineSet[]): Promise<boolean> {
    const want = Math.max(revisionOf(newMS), maxRevision(old) + 1);
    if (revisionOf(newMS) !== want) {
      await this.patchSet(md, newMS, { metadata: { annotations: { [Annotations.revision]: String(want) } } });
      return true;
    }
    // Written with the status, in the reconcile's one deferred patch.
    md.metadata.annotations = { ...(md.metadata.annotations ?? {}), [Annotations.revision]: String(want) };
    return false;
  }

  private async syncSettings(md: MachineDeployment, ms: MachineSet): Promise<boolean> {
    const minReadySeconds = md.spec.minReadySeconds ?? 0;
    const deletePolicy = md.spec.strategy?.rollingUpdate?.deletePolicy ?? ms.spec.deletePolicy ?? 'Random';
    if ((ms.spec.minReadySeconds ?? 0) === minReadySeconds && (ms.spec.deletePolicy ?? 'Random') === deletePolicy) return false;
    await this.patchSet(md, ms, { spec: { minReadySeconds, deletePolicy } });
    return true;
  }

  private async createMachineSet(md: MachineDeployment, key: string, replicas: number, revision: number, s: ResolvedStrategy, ctx: ReconcileContext): Promise<MachineSet | undefined> {
    const ms = newMachineSetFor(md, replicas, revision, s.maxSurge);
    try {
      const created = await this.client.create(ms);
      this.expectations.expectCreate(key, created.metadata.name ?? '', this.now());
      this.recorder.event(md, 'Normal', 'MachineSetCreated', `Created MachineSet ${created.metadata.name ?? ''} (revision ${revision}) with ${replicas} replicas`);
      ctx.log.info({ machineSet: created.metadata.name, revision, replicas }, 'created MachineSet');
      return created;
    } catch (err) {
      // A MachineSet of that name exists but is not ours or has another template: a hash collision or a
      // leftover. Say so and wait; the cache will tell us more on the next pass.
      if (isAlreadyExists(err)) {
        this.expectations.expectCreate(key, ms.metadata.name ?? '', this.now());
        return undefined;
      }
      this.recorder.event(md, 'Warning', 'FailedCreate', `Failed to create MachineSet ${ms.metadata.name ?? ''}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  private async applySizes(md: MachineDeployment, sets: readonly MachineSet[], sizes: Map<string, number>, s: ResolvedStrategy, annotateOthers: boolean): Promise<void> {
    for (const p of resizePatches(md.spec.replicas ?? 1, s.maxSurge, sets, sizes, annotateOthers)) {
      if (p.replicas !== undefined) await this.scale(md, p.ms, p.replicas, s);
      else await this.patchSet(md, p.ms, { metadata: { annotations: p.annotations } });
    }
  }

  private async scale(md: MachineDeployment, ms: MachineSet, replicas: number, s: ResolvedStrategy): Promise<void> {
    const from = replicasOf(ms);
    await this.patchSet(md, ms, { metadata: { annotations: replicaAnnotations(md.spec.replicas ?? 1, s.maxSurge) }, spec: { replicas } });
    if (from !== replicas) {
      this.recorder.event(md, 'Normal', from < replicas ? 'ScalingMachineSetUp' : 'ScalingMachineSetDown', `Scaled ${from < replicas ? 'up' : 'down'} MachineSet ${ms.metadata.name ?? ''} from ${from} to ${replicas}`);
    }
  }

  /** Patches a MachineSet and remembers the generation it produced, so a stale cache copy is recognised. */
  private async patchSet(md: MachineDeployment, ms: MachineSet, patch: object): Promise<void> {
    const out = await this.client.patch<MachineSet>(ms, patch);
    this.expectations.expectGeneration(requestKey({ namespace: md.metadata.namespace ?? '', name: md.metadata.name ?? '' }), ms.metadata.name ?? '', out.metadata.generation ?? 0, this.now());
    ms.metadata = out.metadata;
    ms.spec = out.spec;
  }

  /**
   * Only a rollout that has not started is held: once the new MachineSet has Machines, stopping half-way
   * would help nobody. The control plane's version is what it runs (status), else what it was asked for,
   * else the oldest control-plane Machine's.
   */
  private async versionSkew(md: MachineDeployment, cluster: Cluster | undefined, newMS: MachineSet | undefined, old: MachineSet[]): Promise<SkewVerdict> {
    const started = newMS !== undefined && (replicasOf(newMS) > 0 || activeMachineSets(old).length === 0);
    let cp = cluster?.status?.controlPlane?.version ?? cluster?.spec.controlPlane?.version;
    if (!cp) {
      const machines = await this.cache.list<Machine>(MACHINE_GVK, { namespace: md.metadata.namespace });
      cp = oldestControlPlaneVersion(machines.filter((m) => m.spec.clusterName === md.spec.clusterName && m.metadata.labels?.[Labels.controlPlane] !== undefined));
    }
    const verdict = checkVersionSkew({ target: md.spec.template.spec.version, controlPlane: cp });
    return started && !verdict.ok ? { ok: true, reason: 'AsExpected', message: `rollout to ${md.spec.template.spec.version ?? ''} already under way` } : verdict;
  }
}
