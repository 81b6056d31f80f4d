/**
 * The RBAC authorizer (Roles, ClusterRoles and their bindings, as kube-apiserver evaluates them), the bootstrap
 * policy kubeadm relies on, and an approximation of the Node authorizer for group system:nodes.
 */
import { NODE_RULES, type Decision, type NodeAuthorizer } from './node-authorizer.js';
import type { UserInfo } from './auth.js';
import { nowRfc3339 } from './objects.js';
import { StorageError, type KObject, type Storage } from './storage/index.js';
import { randomUUID } from 'node:crypto';

export interface RequestAttributes {
  verb: string;
  resourceRequest: boolean;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  path: string;
  /** A list's or watch's field selector, as `field op value` terms (the Node authorizer scopes pod lists by it). */
  fieldSelector?: { field: string; op: '=' | '!='; value: string }[];
}

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

const has = (list: string[] | undefined, v: string): boolean => !!list && (list.includes('*') || list.includes(v));

function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
  }
  if (!has(rule.apiGroups, a.apiGroup ?? '')) return false;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
  const resources = rule.resources ?? [];
  const resOk = resources.includes('*') || resources.includes(res) || (a.subresource !== undefined && resources.includes(`*/${a.subresource}`));
  if (!resOk) return false;
  return !rule.resourceNames?.length || (a.name !== undefined && rule.resourceNames.includes(a.name));
}

function subjectMatches(s: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  if (s.kind === 'User') return s.name === user.name;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') return user.name === `system:serviceaccount:${s.namespace ?? bindingNamespace}:${s.name}`;
  return false;
}

/**
 * The authorizer chain of `--authorization-mode=Node,RBAC` (system:masters first, as kube-apiserver's privileged
 * group authorizer): the Node authorizer when enabled, then RBAC. A denial carries the Node authorizer's reason.
 */
export class RbacAuthorizer {
  constructor(private readonly storage: Storage, private readonly node?: NodeAuthorizer) {}

  async decide(user: UserInfo, a: RequestAttributes): Promise<Decision> {
    if (user.groups.includes('system:masters')) return { allow: true };
    const n = await this.node?.authorize(user, a);
    if (n?.allow) return n;
    if (await this.rbacAllows(user, a)) return { allow: true };
    return { allow: false, reason: n?.reason };
  }

  async authorize(user: UserInfo, a: RequestAttributes): Promise<boolean> {
    return (await this.decide(user, a)).allow;
  }

  private async rbacAllows(user: UserInfo, a: RequestAttributes): Promise<boolean> {
    const clusterRoles = new Map((await this.storage.list('rbac.authorization.k8s.io/clusterroles')).items.map((o) => [o.metadata.name!, o]));
    const rulesOf = (o: KObject | undefined): PolicyRule[] => (o?.rules as PolicyRule[] | undefined) ?? [];
    const allowsVia = (b: KObject, ns: string | undefined, roles: (ref: { kind: string; name: string }) => KObject | undefined): boolean => {
      const subjects = (b.subjects as Subject[] | undefined) ?? [];
      if (!subjects.some((s) => subjectMatches(s, user, ns))) return false;
      const ref = b.roleRef as { kind: string; name: string } | undefined;
      return !!ref && rulesOf(roles(ref)).some((r) => ruleAllows(r, a));
    };
    for (const b of (await this.storage.list('rbac.authorization.k8s.io/clusterrolebindings')).items) {
      if (allowsVia(b, undefined, (ref) => (ref.kind === 'ClusterRole' ? clusterRoles.get(ref.name) : undefined))) return true;
    }
    if (a.namespace) {
      const roles = new Map((await this.storage.list('rbac.authorization.k8s.io/roles', a.namespace)).items.map((o) => [o.metadata.name!, o]));
      for (const b of (await this.storage.list('rbac.authorization.k8s.io/rolebindings', a.namespace)).items) {
        if (allowsVia(b, a.namespace, (ref) => (ref.kind === 'ClusterRole' ? clusterRoles.get(ref.name) : roles.get(ref.name)))) return true;
      }
    }
    return false;
  }
}

const READ = ['get', 'list', 'watch'];
const ALL_VERBS = ['*'];

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}): KObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } },
    rules,
  };
}

function clusterRoleBinding(name: string, role: string, subjects: Subject[]): KObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: subjects.map((s) => ({ apiGroup: 'rbac.authorization.k8s.io', ...s })),
  };
}

const group = (name: string): Subject => ({ kind: 'Group', name });

/** kube-apiserver's bootstrap policy, the part kubeadm and kubelets rely on. */
export function bootstrapPolicy(): KObject[] {
  const editRules: PolicyRule[] = [{ apiGroups: ['', 'coordination.k8s.io', 'events.k8s.io'], resources: ['configmaps', 'secrets', 'serviceaccounts', 'events', 'leases', 'pods'], verbs: ['create', 'delete', 'deletecollection', 'patch', 'update', ...READ] }];
  return [
    clusterRole('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ALL_VERBS }, { nonResourceURLs: ['*'], verbs: ALL_VERBS }]),
    clusterRole('admin', [...editRules, { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create', 'delete', 'deletecollection', 'patch', 'update', ...READ] }]),
    clusterRole('edit', editRules),
    clusterRole('view', [{ apiGroups: ['', 'coordination.k8s.io', 'events.k8s.io'], resources: ['configmaps', 'serviceaccounts', 'events', 'leases', 'pods', 'namespaces'], verbs: READ }]),
    clusterRole('system:discovery', [{ nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'], verbs: ['get'] }]),
    clusterRole('system:public-info-viewer', [{ nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] }]),
    clusterRole('system:basic-user', [{ apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] }]),
    clusterRole('system:node-bootstrapper', [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch'] }]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/nodeclient'], verbs: ['create'] }]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/selfnodeclient'], verbs: ['create'] }]),
    // kube's system:node role is NodeRules(); no one is bound to it (nodes are authorized by the Node authorizer).
    clusterRole('system:node', NODE_RULES.map((r) => ({ apiGroups: r.groups, resources: r.resources, verbs: r.verbs }))),
    // kube-controller-manager, for the controllers kubeadm relies on (CSR approving and signing, bootstrap signer,
    // token cleaner). Real clusters run each controller under its own service account with a system:controller:*
    // role (--use-service-account-credentials); one role for the manager's own identity is the simplification.
    clusterRole('system:kube-controller-manager', [
      // as kube-apiserver's policy: list/watch of everything (garbage collector, quota), get where controllers need it
      { apiGroups: ['*'], resources: ['*'], verbs: ['list', 'watch'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'], verbs: ['get'] },
      { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: READ },
      { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval', 'certificatesigningrequests/status'], verbs: ['update', 'patch'] },
      { apiGroups: ['certificates.k8s.io'], resources: ['signers'], verbs: ['approve', 'sign'] },
      { apiGroups: [''], resources: ['secrets'], verbs: [...READ, 'delete'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: [...READ, 'update', 'patch'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]),
    clusterRoleBinding('system:kube-controller-manager', 'system:kube-controller-manager', [{ kind: 'User', name: 'system:kube-controller-manager' }]),
    // kube-scheduler's role, as kube-apiserver's bootstrap policy has it (the resources this server serves).
    clusterRole('system:kube-scheduler', [
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['kube-scheduler'], verbs: ['get', 'update', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes', 'namespaces', 'services', 'replicationcontrollers', 'persistentvolumeclaims', 'persistentvolumes'], verbs: READ },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods/binding', 'bindings'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]),
    clusterRoleBinding('system:kube-scheduler', 'system:kube-scheduler', [{ kind: 'User', name: 'system:kube-scheduler' }]),
    clusterRoleBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    clusterRoleBinding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    clusterRoleBinding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
  ];
}

/** Creates the bootstrap policy objects that are missing; existing ones (possibly edited) are left alone. */
export async function seedBootstrapPolicy(storage: Storage): Promise<void> {
  for (const o of bootstrapPolicy()) {
    const resource = o.kind === 'ClusterRole' ? 'rbac.authorization.k8s.io/clusterroles' : 'rbac.authorization.k8s.io/clusterrolebindings';
    const key = { resource, namespace: '', name: o.metadata.name! };
    if (await storage.get(key)) continue;
    try {
      await storage.create(key, { ...o, metadata: { ...o.metadata, uid: randomUUID(), creationTimestamp: nowRfc3339() } });
    } catch (e) {
      if (!(e instanceof StorageError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}
