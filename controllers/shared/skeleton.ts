/**
 * The reconcile skeleton of the controllers whose objects need no finalizer (MachineSets and MachineDeployments:
 * what they own goes with them through the garbage collector): get from the cache, forget the expectations of an
 * object that is gone, skip one being deleted or whose Cluster is paused, and run the phases under one deferred
 * write. The Cluster and Machine controllers add a finalizer and a deletion flow to the same steps.
 */
import type { Cluster } from '../../api/v1alpha1/index.js';
import { ignoreNotFound } from '../../runtime/errors.js';
import { Expectations } from '../../runtime/expectations.js';
import { EnvReconciler, patchAfter, runPhases, toResult, type Phase } from '../../runtime/reconcile.js';
import { requestKey, type GroupVersionKind, type KubeObject, type ReconcileContext, type Request, type Result } from '../../runtime/types.js';
import { clusterOf, isPaused } from './paused.js';

/** A reconciler whose objects need no finalizer: it states its kind, phases and scope; the skeleton is here. */
export abstract class OwnerReconciler<T extends KubeObject & { spec: { clusterName: string } }, S> extends EnvReconciler {
  /** What this controller wrote, until the cache shows it (runtime/expectations.ts). */
  readonly expectations = new Expectations();
  protected abstract readonly gvk: GroupVersionKind;
  /** The phases of a reconcile, in order (runtime/reconcile.ts runPhases). */
  protected abstract readonly phases: readonly Phase<S>[];
  /** The scope the phases of one reconcile share. */
  protected abstract scope(obj: T, cluster: Cluster | undefined, key: string, ctx: ReconcileContext): S;

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const key = requestKey(req);
    const obj = await ignoreNotFound(this.cache.get<T>(this.gvk, req));
    if (!obj) {
      this.expectations.forget(key);
      return {};
    }
    if (obj.metadata.deletionTimestamp) return {};
    const cluster = await clusterOf(this.cache, obj);
    if (isPaused(cluster)) {
      ctx.log.debug('cluster is paused; not reconciling');
      return {};
    }
    const scope = this.scope(obj, cluster, key, ctx);
    return patchAfter(this.client, obj, async () => toResult(await runPhases(scope, this.phases)));
  }
}
