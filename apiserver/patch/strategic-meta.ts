/**
 * Patch strategies of the built-in kinds the server serves (the `patchStrategy`/`patchMergeKey` struct tags of
 * k8s.io/api). Lists not listed here are atomic: a strategic merge patch replaces them, like RBAC subjects and rules.
 */
export interface ListStrategy {
  /** Merge by key (lists of objects) or as a set (lists of scalars, key undefined). */
  strategy: 'merge';
  key?: string;
}

/** By the list's own field name, wherever it appears (PodSpec-shaped content and ObjectMeta). */
const BY_FIELD: Record<string, ListStrategy> = {
  containers: { strategy: 'merge', key: 'name' },
  initContainers: { strategy: 'merge', key: 'name' },
  ephemeralContainers: { strategy: 'merge', key: 'name' },
  env: { strategy: 'merge', key: 'name' },
  ports: { strategy: 'merge', key: 'containerPort' },
  volumes: { strategy: 'merge', key: 'name' },
  volumeMounts: { strategy: 'merge', key: 'mountPath' },
  volumeDevices: { strategy: 'merge', key: 'devicePath' },
};

const METADATA: Record<string, ListStrategy> = {
  ownerReferences: { strategy: 'merge', key: 'uid' },
  finalizers: { strategy: 'merge' },
};

/** By `apiVersion/kind` and dotted path. */
const BY_KIND: Record<string, Record<string, ListStrategy>> = {
  'v1/Node': {
    'status.conditions': { strategy: 'merge', key: 'type' },
    'status.addresses': { strategy: 'merge', key: 'type' },
    'spec.podCIDRs': { strategy: 'merge' },
  },
  'certificates.k8s.io/v1/CertificateSigningRequest': {
    'status.conditions': { strategy: 'merge', key: 'type' },
  },
  'v1/ServiceAccount': {
    secrets: { strategy: 'merge', key: 'name' },
  },
  'v1/Namespace': {
    'spec.finalizers': { strategy: 'merge' },
  },
};

const ATOMIC_KINDS = new Set(['rbac.authorization.k8s.io/v1/Role', 'rbac.authorization.k8s.io/v1/ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding', 'rbac.authorization.k8s.io/v1/ClusterRoleBinding']);

/** The strategy of the list at `path` (field names only, no indices) in an object of apiVersion/kind. */
export function listStrategy(apiVersion: string, kind: string, path: string[]): ListStrategy | undefined {
  if (path.length === 2 && path[0] === 'metadata') return METADATA[path[1]];
  const gvk = `${apiVersion}/${kind}`;
  const specific = BY_KIND[gvk]?.[path.join('.')];
  if (specific) return specific;
  if (ATOMIC_KINDS.has(gvk)) return undefined;
  return BY_FIELD[path[path.length - 1]];
}
