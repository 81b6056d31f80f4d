/**
 * The MachineSet controller: keeps spec.replicas Machines matching the selector, as the ReplicaSet controller
 * keeps Pods. Level-triggered: every pass recomputes from the cache what to create, adopt, release and delete,
 * and expectations make it wait for its own writes to reach the cache before it counts again.
 */
import { Labels, type Cluster, type Machine, type MachineDeployment, type MachineSet } from '../../api/v1alpha1/index.js';
import { ignoreNotFound, isNotFound } from '../../runtime/errors.js';
import { fromLabelSelector, matches } from '../../runtime/labels.js';
import { viewOf } from '../../runtime/expectations.js';
import { getControllerOf } from '../../runtime/meta.js';
import type { Phase, PhaseResult } from '../../runtime/reconcile.js';
import type { ReconcileContext } from '../../runtime/types.js';
import { MACHINE_GVK, MACHINEDEPLOYMENT_GVK, MACHINESET_GVK } from '../shared/gvk.js';
import { nextAvailableIn } from '../shared/machine-state.js';
import { OwnerReconciler } from '../shared/skeleton.js';
import { claimMachines } from './claim.js';
import { machineFromTemplate } from './machine-template.js';
import { MAX_CREATES_PER_PASS, decideReplicas, frozenByOnDelete } from './replicas.js';
import { computeStatus } from './status.js';

const EXPECTATIONS_RECHECK_MS = 2_000;

/** What the phases of one reconcile share: the MachineSet (its status written once, at the end) and what they found. */
interface MachineSetScope {
  ms: MachineSet;
  key: string;
  ctx: ReconcileContext;
  /** The Machines of the namespace, from the cache. */
  machines?: Machine[];
  /** The Machines this MachineSet controls, after adoption. */
  owned: Machine[];
  /** Deleted in this reconcile (the cache does not show it yet). */
  deleted: Set<string>;
  manageError?: string;
}

export class MachineSetReconciler extends OwnerReconciler<MachineSet, MachineSetScope> {
  protected readonly gvk = MACHINESET_GVK;
  protected readonly phases: readonly Phase<MachineSetScope>[] = [this.waitForCache, this.claim, this.replicas, this.status].map((p) => p.bind(this));

  protected scope(ms: MachineSet, _cluster: Cluster | undefined, key: string, ctx: ReconcileContext): MachineSetScope {
    return { ms, key, ctx, owned: [], deleted: new Set() };
  }

  /** Our last creates/deletes must be in the cache before Machines are counted again: counting now could double them. */
  private async waitForCache(s: MachineSetScope): Promise<PhaseResult | void> {
    s.machines = await this.cache.list<Machine>(MACHINE_GVK, { namespace: s.ms.metadata.namespace });
    if (!this.expectations.satisfied(s.key, viewOf(s.machines), this.now())) return { stop: true, requeueAfter: EXPECTATIONS_RECHECK_MS };
  }

  /** Adopts matching orphans, releases Machines that no longer match. */
  private async claim(s: MachineSetScope): Promise<void> {
    const claim = claimMachines(s.ms, s.machines ?? []);
    for (const m of claim.adopt) await this.setOwner(s.ms, m, true, s.ctx);
    for (const m of claim.release) await this.setOwner(s.ms, m, false, s.ctx);
    s.owned = [...claim.owned, ...claim.adopt];
  }

  /** Creates or deletes Machines towards spec.replicas; an error is reported in status (ReplicaFailure), then returned. */
  private async replicas(s: MachineSetScope): Promise<void> {
    const templateError = this.templateError(s.ms);
    if (templateError) {
      s.manageError = templateError;
      this.recorder.event(s.ms, 'Warning', 'InvalidTemplate', templateError);
      return;
    }
    try {
      await this.manageReplicas(s.ms, s.owned, s.deleted, s.ctx);
    } catch (err) {
      s.manageError = err instanceof Error ? err.message : String(err);
    }
  }

  private status(s: MachineSetScope): PhaseResult | void {
    const { ms, owned, deleted } = s;
    const now = this.now();
    const counted = owned.map((m) => (deleted.has(m.metadata.name ?? '') ? { ...m, metadata: { ...m.metadata, deletionTimestamp: new Date(now).toISOString() } } : m));
    ms.status = computeStatus({ ms, machines: counted, now, manageError: s.manageError });
    // Thrown after the status is set: the deferred write still records ReplicaFailure.
    if (s.manageError) throw new Error(`MachineSet ${s.key}: ${s.manageError}`);
    const wait = nextAvailableIn(owned, ms.spec.minReadySeconds ?? 0, now);
    if (wait !== undefined) return { requeueAfter: wait + 50 };
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
}
