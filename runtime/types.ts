/** The object shapes and reconcile contracts of the runtime, named as in controller-runtime. */
import type { Logger } from 'pino';

export type { KubeObject, ObjectMeta, OwnerReference } from '../lib/kube.js';

export { gvkKey, groupOf, type GroupVersionKind, type KubeList } from '../lib/kube.js';

/** What a reconciler is asked to reconcile: one object's name. */
export interface Request {
  namespace: string;
  name: string;
}

export const requestKey = (r: Request): string => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

export interface Result {
  /** Requeue with the rate limiter's back-off. */
  requeue?: boolean;
  /** Requeue after this many milliseconds (wins over `requeue`). */
  requeueAfter?: number;
}

export interface ReconcileContext {
  /** A child logger carrying controller, namespace, name and reconcileID. */
  log: Logger;
  reconcileID: string;
  /** Aborted when the manager gives up waiting for in-flight reconciles at shutdown. */
  signal: AbortSignal;
}

export interface Reconciler {
  reconcile(req: Request, ctx: ReconcileContext): Promise<Result>;
}

/** A plain function is a Reconciler too. */
export type ReconcileFunc = (req: Request, ctx: ReconcileContext) => Promise<Result>;
