/** The object shapes and reconcile contracts of the runtime, named as in controller-runtime. */
import type { Logger } from 'pino';

import type { KubeObject } from '../lib/kube.js';
export type { KubeObject, ObjectMeta, OwnerReference } from '../lib/kube.js';

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** A kind, addressed as users write it: `{apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster'}`. */
export interface GroupVersionKind {
  apiVersion: string;
  kind: string;
}

export const gvkKey = (gvk: GroupVersionKind): string => `${gvk.apiVersion}, Kind=${gvk.kind}`;

/** The group of an apiVersion: '' for the core group ("v1"). */
export const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

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
