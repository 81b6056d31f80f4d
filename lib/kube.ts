/**
 * The generic Kubernetes object shapes as they travel in JSON (timestamps are RFC 3339 strings), shared by every
 * layer: the API server stores them, the runtime caches them, controllers and bootstrap build them.
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

/** Any Kubernetes object. Typed kinds (api/) extend this with their spec and status. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

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
