/**
 * The MachineSet controller: keeps spec.replicas Machines matching the selector, as the ReplicaSet controller
 * keeps Pods. Level-triggered: every pass recomputes from the cache what to create, adopt, release and delete,
 * and expectations make it wait for its own writes to reach the cache before it counts again.
 */
import { Labels, type Cluster, type Machine, type MachineDeployment, type MachineSet, type MachineSetStatus } from '../../api/v1alpha1/index.js';
import type { Reader } from '../../runtime/cache/cache.js';
import type { Client } from '../../runtime/client.js';
import type { ReconcilerEnv } from '../../runtime/reconcile.js';
import { ignoreNotFound, isNotFound } from '../../runtime/errors.js';
import { fromLabelSelector, matches } from '../../runtime/labels.js';
import type { EventRecorder } from '../../runtime/recorder.js';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/types.js';
import { CLUSTER_GVK, MACHINE_GVK, MACHINEDEPLOYMENT_GVK, MACHINESET_GVK } from '../shared/gvk.js';
import { nextAvailableIn } from '../shared/machine-state.js';
import { getControllerOf } from '../../runtime/meta.js';
import { stableJson } from '../shared/stable-json.js';
import { claimMachines } from './claim.js';
import { NameExpectations } from './expectations.js';
import { machineFromTemplate } from './machine-template.js';
import { MAX_CREATES_PER_PASS, decideReplicas, frozenByOnDelete } from './replicas.js';
import { computeStatus } from './status.js';

const EXPECTATIONS_RECHECK_MS = 2_000;


export interface MachineSetReconcilerOptions {
  /** The clock, for availability (minReadySeconds). */
  now?: () => number;
}

export class MachineSetReconciler implements Reconciler {
  readonly expectations = new NameExpectations();
  private readonly now: () => number;

  private readonly client: Client;
  private readonly cache: Reader;
  private readonly recorder: EventRecorder;

  constructor(env: ReconcilerEnv, opts: MachineSetReconcilerOptions = {}) {
    ({ client: this.client, cache: this.cache, recorder: this.recorder } = env);
    this.now = opts.now ?? Date.now;
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const key = `${req.namespace}/${req.name}`;
    const ms = await ignoreNotFound(this.cache.get<MachineSet>(MACHINESET_GVK, req));
    if (!ms) {
      // Its Machines go with it through the garbage collector (they carry an owner reference).
      this.expectations.forget(key);
      return {};
    }
    if (ms.metadata.deletionTimestamp) return {};
    if (await this.clusterPaused(ms)) {
      ctx.log.debug('cluster is paused; not reconciling');
      return {};
    }

    const all = await this.cache.list<Machine>(MACHINE_GVK, { namespace: req.namespace });
    const byName = new Map(all.map((m) => [m.metadata.name ?? '', m]));
    if (!this.expectations.satisfied(key, { get: (n) => byName.get(n) }, this.now())) {
      // Our last creates/deletes are not in the cache yet; counting now could double them.
      return { requeueAfter: EXPECTATIONS_RECHECK_MS };
    }

    const claim = claimMachines(ms, all);
    for (const m of claim.adopt) await this.setOwner(ms, m, true, ctx);
    for (const m of claim.release) await this.setOwner(ms, m, false, ctx);
    const owned = [...claim.owned, ...claim.adopt];

    let manageError: string | undefined;
    const deleted = new Set<string>();
    const templateError = this.templateError(ms);
    if (templateError) {
      manageError = templateError;
      this.recorder.event(ms, 'Warning', 'InvalidTemplate', templateError);
    } else {
      try {
        await this.manageReplicas(ms, owned, deleted, ctx);
      } catch (err) {
        manageError = err instanceof Error ? err.message : String(err);
      }
    }

    const now = this.now();
    const counted = owned.map((m) => (deleted.has(m.metadata.name ?? '') ? { ...m, metadata: { ...m.metadata, deletionTimestamp: new Date(now).toISOString() } } : m));
    const status = computeStatus({ ms, machines: counted, now, manageError });
    await this.writeStatus(ms, status);
    if (manageError) throw new Error(`MachineSet ${key}: ${manageError}`);
    const wait = nextAvailableIn(owned, ms.spec.minReadySeconds ?? 0, now);
    return wait === undefined ? {} : { requeueAfter: wait + 50 };
  }

  private async manageReplicas(ms: MachineSet, owned: readonly Machine[], deleted: Set<string>, ctx: ReconcileContext): Promise<void> {
    const key = `${ms.metadata.namespace ?? ''}/${ms.metadata.name ?? ''}`;
    const action = decideReplicas(ms, owned, await this.frozenByOnDelete(ms), MAX_CREATES_PER_PASS);
    if (action.kind === 'create') {
      const n = action.count;
      // Slow start, as the ReplicaSet controller: 1, 2, 4, ... so one bad template costs one failed call.
      let done = 0;
      for (let batch = 1; done < n; batch *= 2) {
        const size = Math.min(batch, n - done);
        const created = await Promise.all(Array.from({ length: size }, () => this.client.create(machineFromTemplate(ms))));
        for (const m of created) {
          this.expectations.expectCreate(key, m.metadata.name ?? '', this.now());
          this.recorder.event(ms, 'Normal', 'SuccessfulCreate', `Created Machine ${m.metadata.name ?? ''}`);
        }
        done += size;
      }
      ctx.log.info({ created: n, replicas: ms.spec.replicas }, 'created Machines');
    } else if (action.kind === 'delete') {
      const victims = action.machines;
      await Promise.all(victims.map(async (m) => {
        try {
          await this.client.delete(m, { preconditions: { uid: m.metadata.uid } });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        this.expectations.expectDelete(key, m.metadata.name ?? '', this.now());
        deleted.add(m.metadata.name ?? '');
        this.recorder.event(ms, 'Normal', 'SuccessfulDelete', `Deleted Machine ${m.metadata.name ?? ''}`);
      }));
      ctx.log.info({ deleted: victims.map((m) => m.metadata.name), replicas: ms.spec.replicas }, 'deleted Machines');
    }
  }

  /** Machines created from a template the selector does not match would never be counted: create none. */
  private templateError(ms: MachineSet): string | undefined {
    const labels = machineFromTemplate(ms).metadata.labels;
    let selector;
    try {
      selector = fromLabelSelector(ms.spec.selector);
    } catch (err) {
      return `spec.selector: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (!matches(selector, labels)) return 'spec.template.metadata.labels: do not match spec.selector';
    return undefined;
  }

  /** Reads the owning MachineDeployment from the cache for the OnDelete rule (replicas.ts). */
  private async frozenByOnDelete(ms: MachineSet): Promise<boolean> {
    const ref = getControllerOf(ms);
    if (!ref || ref.kind !== 'MachineDeployment') return false;
    return frozenByOnDelete(ms, await ignoreNotFound(this.cache.get<MachineDeployment>(MACHINEDEPLOYMENT_GVK, { namespace: ms.metadata.namespace, name: ref.name })));
  }

  private async clusterPaused(ms: MachineSet): Promise<boolean> {
    const cluster = await ignoreNotFound(this.cache.get<Cluster>(CLUSTER_GVK, { namespace: ms.metadata.namespace, name: ms.spec.clusterName }));
    return cluster?.spec.paused === true;
  }

  /** Adopts (or releases) one Machine; resourceVersion makes it fail rather than overwrite a concurrent owner. */
  private async setOwner(ms: MachineSet, m: Machine, adopt: boolean, ctx: ReconcileContext): Promise<void> {
    const refs = (m.metadata.ownerReferences ?? []).filter((r) => r.uid !== ms.metadata.uid);
    if (adopt) refs.push({ apiVersion: ms.apiVersion ?? MACHINESET_GVK.apiVersion, kind: 'MachineSet', name: ms.metadata.name ?? '', uid: ms.metadata.uid ?? '', controller: true, blockOwnerDeletion: true });
    const labels = adopt ? { [Labels.setName]: ms.metadata.name ?? '' } : { [Labels.setName]: null };
    await this.client.patch(m, { metadata: { resourceVersion: m.metadata.resourceVersion, ownerReferences: refs, labels } });
    m.metadata.ownerReferences = refs;
    ctx.log.info({ machine: m.metadata.name }, adopt ? 'adopted Machine' : 'released Machine');
    this.recorder.event(ms, 'Normal', adopt ? 'Adopted' : 'Released', `${adopt ? 'Adopted' : 'Released'} Machine ${m.metadata.name ?? ''}`);
  }

  private async writeStatus(ms: MachineSet, status: MachineSetStatus): Promise<void> {
    if (stableJson(ms.status ?? {}) === stableJson(status)) return;
    await this.client.patchStatus(ms, { status: { ...nulls(ms.status), ...status } });
  }
}

/** Fields to clear in a merge patch: every old status field the new status no longer has. */
function nulls(old: object | undefined): Record<string, null> {
  return Object.fromEntries(Object.keys(old ?? {}).map((k) => [k, null]));
}
