/** The built-in resources this server serves, described as kube-apiserver's discovery describes them. */
import type { ResourceInfo } from './types.js';

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function builtin(
  group: string, version: string, kind: string, plural: string, namespaced: boolean,
  extra: Partial<Pick<ResourceInfo, 'shortNames' | 'categories' | 'subresources' | 'verbs'>> = {},
): ResourceInfo {
  return {
    group, version, kind, listKind: kind + 'List', plural, singular: kind.toLowerCase(), namespaced,
    shortNames: extra.shortNames ?? [], categories: extra.categories ?? [], verbs: extra.verbs ?? ALL,
    subresources: extra.subresources ?? {}, custom: false,
  };
}

export const BUILTIN_RESOURCES: ResourceInfo[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: { status: true } }),
  builtin('', 'v1', 'Secret', 'secrets', true),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  builtin('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: { status: true } }),
  builtin('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  // Pods are not part of the contract but `kubectl describe node` lists them, and simulated clusters may store some.
  builtin('', 'v1', 'Pod', 'pods', true, { shortNames: ['po'], categories: ['all'], subresources: { status: true } }),
  // Stored, not run: so that deploy/ (a Deployment, its metrics Service and a PodDisruptionBudget) applies here as on
  // kube-apiserver (`kubectl apply --dry-run=server -k deploy/`). Nothing here starts Pods for them.
  builtin('', 'v1', 'Service', 'services', true, { shortNames: ['svc'], categories: ['all'], subresources: { status: true } }),
  builtin('apps', 'v1', 'Deployment', 'deployments', true, { shortNames: ['deploy'], categories: ['all'], subresources: { status: true } }),
  builtin('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { shortNames: ['pdb'], subresources: { status: true } }),
  builtin('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  builtin('certificates.k8s.io', 'v1', 'CertificateSigningRequest', 'certificatesigningrequests', false, { shortNames: ['csr'], subresources: { status: true } }),
  builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  builtin('events.k8s.io', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  // Access reviews are create-only questions to the authorizer (`kubectl auth can-i`), never stored.
  builtin('authorization.k8s.io', 'v1', 'SubjectAccessReview', 'subjectaccessreviews', false, { verbs: ['create'] }),
  builtin('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, { verbs: ['create'] }),
  builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, { shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: { status: true } }),
];

/** Subresources beyond status/scale that some built-ins have. */
export const EXTRA_SUBRESOURCES: Record<string, string[]> = {
  'certificates.k8s.io/certificatesigningrequests': ['approval'],
  '/namespaces': ['finalize'],
};

/** Group versions ordered as kube-apiserver lists them (its priority order), for discovery. */
export const BUILTIN_GROUP_ORDER = ['', 'apps', 'policy', 'apiextensions.k8s.io', 'coordination.k8s.io', 'certificates.k8s.io', 'rbac.authorization.k8s.io', 'authorization.k8s.io', 'events.k8s.io'];

export const CRD_RESOURCE = 'apiextensions.k8s.io/customresourcedefinitions';
