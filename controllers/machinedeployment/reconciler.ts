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
import { isAlreadyExists, ignoreNotFound, isNotFound } from '../../runtime/errors.js';
import { fromLabelSelector, matches } from '../../runtime/labels.js';
import type { Reader } from '../../runtime/cache/cache.js';
import type { Client } from '../../runtime/client.js';
import type { ReconcilerEnv } from '../../runtime/reconcile.js';
import type { EventRecorder } from '../../runtime/recorder.js';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/types.js';
import { CLUSTER_GVK, MACHINE_GVK, MACHINESET_GVK, MACHINEDEPLOYMENT_GVK } from '../shared/gvk.js';
import { isControlledBy } from '../../runtime/meta.js';
import { stableJson } from '../shared/stable-json.js';
import { activeMachineSets, findNewMachineSet, maxRevision, oldMachineSets, replicasOf, revisionOf } from './machinesets.js';
import { newMachineSetFor, replicaAnnotations } from './new-machineset.js';
import { isScalingEvent, proportionalScale } from './proportional.js';
import { decideRollout, historyToDelete, resizePatches } from './sync.js';
import { computeMDStatus } from './status.js';
import { resolveStrategy, type ResolvedStrategy } from './strategy.js';
import { checkVersionSkew, oldestControlPlaneVersion, type SkewVerdict } from './version-skew.js';


const CACHE_WAIT_MS = 500;
const EXPECTATION_TTL_MS = 60_000;

export interface MachineDeploymentReconcilerOptions {
  now?: () => number;
}

export class MachineDeploymentReconciler implements Reconciler {
  /** MachineSet UID → the generation our last write produced. */
  private readonly writtenGeneration = new Map<string, { generation: number; until: number }>();
  /** MachineDeployment key → name of a MachineSet we created that the cache may not show yet. */
  private readonly pendingCreate = new Map<string, { name: string; until: number }>();
  private readonly now: () => number;

  private readonly client: Client;
  private readonly cache: Reader;
  private readonly recorder: EventRecorder;

  constructor(env: ReconcilerEnv, opts: MachineDeploymentReconcilerOptions = {}) {
    ({ client: this.client, cache: this.cache, recorder: this.recorder } = env);
    this.now = opts.now ?? Date.now;
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const key = `${req.namespace}/${req.name}`;
    const md = await ignoreNotFound(this.cache.get<MachineDeployment>(MACHINEDEPLOYMENT_GVK, req));
    if (!md) {
      this.pendingCreate.delete(key);
      return {};
    }
    if (md.metadata.deletionTimestamp) return {};
    const cluster = await this.getCluster(md);
    if (cluster?.spec.paused) return {};

    const sets = (await this.cache.list<MachineSet>(MACHINESET_GVK, { namespace: req.namespace })).filter((ms) => isControlledBy(ms, md));
    if (!this.cacheCaughtUp(key, sets)) return { requeueAfter: CACHE_WAIT_MS };

    let s: ResolvedStrategy;
    let specError: string | undefined;
    try {
      s = resolveStrategy(md);
      const probe = newMachineSetFor(md, 0, 1, 0);
      if (!matches(fromLabelSelector(md.spec.selector), probe.spec.template.metadata?.labels)) {
        throw new Error('spec.template.metadata.labels: do not match spec.selector');
      }
    } catch (err) {
      specError = err instanceof Error ? err.message : String(err);
      s = { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 0 };
    }
    const desired = md.spec.replicas ?? 1;
    const newMS = findNewMachineSet(md, sets);
    const old = oldMachineSets(sets, newMS);
    const skew = md.spec.template.spec.version ? await this.versionSkew(md, cluster, newMS, old) : undefined;
    const blocked = skew !== undefined && !skew.ok;

    const step = async (): Promise<void> => {
      if (specError) {
        this.recorder.event(md, 'Warning', 'InvalidSpec', specError);
        return;
      }
      // Keep every MachineSet's availability rules in line with the deployment's.
      for (const ms of sets) if (await this.syncSettings(md, ms)) return;

      if (md.spec.paused || blocked) {
        if (blocked) ctx.log.info({ reason: skew.reason }, skew.message);
        if (isScalingEvent(desired, sets) || activeMachineSets(sets).length <= 1) await this.applySizes(md, sets, proportionalScale(desired, s.maxSurge, newMS, old, md.status?.replicas ?? 0), s, true);
        return;
      }
      const next = decideRollout({ desired, newMS, old, strategy: s, statusReplicas: md.status?.replicas ?? 0 });
      if (next.kind === 'create' || !newMS) {
        if (next.kind === 'create') await this.createMachineSet(md, key, next.replicas, next.revision, s, ctx);
        return;
      }
      if (await this.syncRevision(md, newMS, old)) return;
      if (next.kind === 'resize') await this.applySizes(md, [newMS, ...old], next.sizes, s, next.annotateOthers);
      if (next.cleanup) await this.cleanup(md, old);
    };
    await step();

    const fresh = (await this.cache.list<MachineSet>(MACHINESET_GVK, { namespace: req.namespace })).filter((ms) => isControlledBy(ms, md));
    const freshNew = findNewMachineSet(md, fresh);
    const res = computeMDStatus({ md, newMS: freshNew, old: oldMachineSets(fresh, freshNew), maxUnavailable: s.maxUnavailable, skew, specError, now: this.now() });
    if (res.deadlineExceeded) this.recorder.event(md, 'Warning', 'ProgressDeadlineExceeded', res.deadlineExceeded);
    if (blocked && md.status?.conditions?.find((c) => c.type === 'VersionSkewOk')?.status !== 'False') {
      this.recorder.event(md, 'Warning', skew.reason, skew.message);
    }
    if (stableJson(md.status ?? {}) !== stableJson(res.status)) {
      await this.client.patchStatus(md, { status: { ...Object.fromEntries(Object.keys(md.status ?? {}).map((k) => [k, null])), ...res.status } });
    }
    return res.deadlineInMs !== undefined ? { requeueAfter: res.deadlineInMs + 100 } : {};
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
      await this.patchSet(newMS, { metadata: { annotations: { [Annotations.revision]: String(want) } } });
      return true;
    }
    if (md.metadata.annotations?.[Annotations.revision] !== String(want)) {
      await this.client.patch(md, { metadata: { annotations: { [Annotations.revision]: String(want) } } });
    }
    return false;
  }

  private async syncSettings(md: MachineDeployment, ms: MachineSet): Promise<boolean> {
    const minReadySeconds = md.spec.minReadySeconds ?? 0;
    const deletePolicy = md.spec.strategy?.rollingUpdate?.deletePolicy ?? ms.spec.deletePolicy ?? 'Random';
    if ((ms.spec.minReadySeconds ?? 0) === minReadySeconds && (ms.spec.deletePolicy ?? 'Random') === deletePolicy) return false;
    await this.patchSet(ms, { spec: { minReadySeconds, deletePolicy } });
    return true;
  }

  private async createMachineSet(md: MachineDeployment, key: string, replicas: number, revision: number, s: ResolvedStrategy, ctx: ReconcileContext): Promise<MachineSet | undefined> {
    const ms = newMachineSetFor(md, replicas, revision, s.maxSurge);
    try {
      const created = await this.client.create(ms);
      this.pendingCreate.set(key, { name: created.metadata.name ?? '', until: this.now() + EXPECTATION_TTL_MS });
      this.recorder.event(md, 'Normal', 'MachineSetCreated', `Created MachineSet ${created.metadata.name ?? ''} (revision ${revision}) with ${replicas} replicas`);
      ctx.log.info({ machineSet: created.metadata.name, revision, replicas }, 'created MachineSet');
      return created;
    } catch (err) {
      // A MachineSet of that name exists but is not ours or has another template: a hash collision or a
      // leftover. Say so and wait; the cache will tell us more on the next pass.
      if (isAlreadyExists(err)) {
        this.pendingCreate.set(key, { name: ms.metadata.name ?? '', until: this.now() + EXPECTATION_TTL_MS });
        return undefined;
      }
      this.recorder.event(md, 'Warning', 'FailedCreate', `Failed to create MachineSet ${ms.metadata.name ?? ''}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  private async applySizes(md: MachineDeployment, sets: readonly MachineSet[], sizes: Map<string, number>, s: ResolvedStrategy, annotateOthers: boolean): Promise<void> {
    for (const p of resizePatches(md.spec.replicas ?? 1, s.maxSurge, sets, sizes, annotateOthers)) {
      if (p.replicas !== undefined) await this.scale(md, p.ms, p.replicas, s);
      else await this.patchSet(p.ms, { metadata: { annotations: p.annotations } });
    }
  }

  private async scale(md: MachineDeployment, ms: MachineSet, replicas: number, s: ResolvedStrategy): Promise<void> {
    const from = replicasOf(ms);
    await this.patchSet(ms, { metadata: { annotations: replicaAnnotations(md.spec.replicas ?? 1, s.maxSurge) }, spec: { replicas } });
    if (from !== replicas) {
      this.recorder.event(md, 'Normal', from < replicas ? 'ScalingMachineSetUp' : 'ScalingMachineSetDown', `Scaled ${from < replicas ? 'up' : 'down'} MachineSet ${ms.metadata.name ?? ''} from ${from} to ${replicas}`);
    }
  }

  /** Patches a MachineSet and remembers the generation it produced, so a stale cache copy is recognised. */
  private async patchSet(ms: MachineSet, patch: object): Promise<void> {
    const out = await this.client.patch<MachineSet>(ms, patch);
    this.writtenGeneration.set(ms.metadata.uid ?? '', { generation: out.metadata.generation ?? 0, until: this.now() + EXPECTATION_TTL_MS });
    ms.metadata = out.metadata;
    ms.spec = out.spec;
  }

  private cacheCaughtUp(key: string, sets: readonly MachineSet[]): boolean {
    const now = this.now();
    const pending = this.pendingCreate.get(key);
    if (pending) {
      if (sets.some((ms) => ms.metadata.name === pending.name) || now > pending.until) this.pendingCreate.delete(key);
      else return false;
    }
    for (const ms of sets) {
      const w = this.writtenGeneration.get(ms.metadata.uid ?? '');
      if (!w) continue;
      if ((ms.metadata.generation ?? 0) >= w.generation || now > w.until) this.writtenGeneration.delete(ms.metadata.uid ?? '');
      else return false;
    }
    return true;
  }

  private async getCluster(md: MachineDeployment): Promise<Cluster | undefined> {
    return ignoreNotFound(this.cache.get<Cluster>(CLUSTER_GVK, { namespace: md.metadata.namespace, name: md.spec.clusterName }));
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
