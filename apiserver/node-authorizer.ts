/**
 * kube-apiserver's Node authorizer (plugin/pkg/auth/authorizer/node): a kubelet (user system:node:<name> in group
 * system:nodes) may read only the Secrets, ConfigMaps, PVCs, PVs and ServiceAccounts that the Pods bound to its node
 * reference, only its own Node and Lease, and otherwise what the static node rules (NodeRules) allow. The graph
 * kube keeps incrementally is derived here on demand from the stored Pods bound to the node.
 * Decisions and reasons are upstream's; NoOpinion falls through to RBAC as in `--authorization-mode=Node,RBAC`.
 */
import { display } from '../lib/safe-json.js';
import type { UserInfo } from './auth.js';
import type { RequestAttributes } from './rbac.js';
import type { KObject, Storage } from './storage/index.js';

export interface Decision {
  allow: boolean;
  reason?: string;
}

const NODES_GROUP = 'system:nodes';
const NODE_PREFIX = 'system:node:';

/** NodeIdentity: the node name of a kubelet's user, undefined when the user is not a node. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.name.startsWith(NODE_PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  return user.name.slice(NODE_PREFIX.length);
}

interface Rule { verbs: string[]; groups: string[]; resources: string[] }
const rule = (verbs: string[], groups: string[], resources: string[]): Rule => ({ verbs, groups, resources });
const READ = ['get', 'list', 'watch'];

/** bootstrappolicy.NodeRules() of Kubernetes 1.37 (the feature-gated rules of default-on gates included). */
export const NODE_RULES: Rule[] = [
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  rule(READ, [''], ['services']),
  rule(['create', 'get', 'list', 'watch'], [''], ['nodes']),
  rule(['update', 'patch'], [''], ['nodes/status']),
  rule(['update', 'patch'], [''], ['nodes']),
  rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
  rule(READ, [''], ['pods']),
  rule(['create', 'delete'], [''], ['pods']),
  rule(['update', 'patch'], [''], ['pods/status']),
  rule(['create'], [''], ['pods/eviction']),
  rule(READ, [''], ['secrets', 'configmaps']),
  rule(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['get'], [''], ['endpoints']),
  rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
  rule(['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
  rule(['get'], ['storage.k8s.io'], ['volumeattachments']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(['get', 'update', 'patch'], [''], ['persistentvolumeclaims/status']),
  rule(['get', 'watch', 'list'], ['storage.k8s.io'], ['csidrivers']),
  rule(['get', 'create', 'update', 'patch', 'delete'], ['storage.k8s.io'], ['csinodes']),
  rule(['get', 'list', 'watch'], ['node.k8s.io'], ['runtimeclasses']),
  rule(['get'], [''], ['serviceaccounts']),
];

function rulesAllow(a: RequestAttributes): boolean {
  if (!a.resourceRequest) return false;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
  return NODE_RULES.some((r) => r.verbs.includes(a.verb) && r.groups.includes(a.apiGroup ?? '') && r.resources.includes(res));
}

type VertexType = 'secret' | 'configmap' | 'pvc' | 'pv' | 'serviceaccount' | 'pod';

const noOpinion = (reason?: string): Decision => ({ allow: false, reason });
const ALLOW: Decision = { allow: true };

type Obj = Record<string, unknown>;
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x): x is Obj => !!x && typeof x === 'object') : []);
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The names a Pod refers to, per type: the edges graph_populator.go adds for it. */
export function podReferences(pod: KObject): Record<'secret' | 'configmap' | 'pvc' | 'serviceaccount', Set<string>> {
  const out = { secret: new Set<string>(), configmap: new Set<string>(), pvc: new Set<string>(), serviceaccount: new Set<string>() };
  const spec = obj(pod.spec) ?? {};
  const add = (set: Set<string>, v: unknown): void => {
    const s = str(v);
    if (s) set.add(s);
  };
  add(out.serviceaccount, spec.serviceAccountName ?? 'default');
  for (const s of arr(spec.imagePullSecrets)) add(out.secret, s.name);
  const containers = [...arr(spec.containers), ...arr(spec.initContainers), ...arr(spec.ephemeralContainers)];
  for (const c of containers) {
    for (const e of arr(c.envFrom)) {
      add(out.secret, obj(e.secretRef)?.name);
      add(out.configmap, obj(e.configMapRef)?.name);
    }
    for (const e of arr(c.env)) {
      const from = obj(e.valueFrom);
      add(out.secret, obj(from?.secretKeyRef)?.name);
      add(out.configmap, obj(from?.configMapKeyRef)?.name);
    }
  }
  for (const v of arr(spec.volumes)) {
    add(out.secret, obj(v.secret)?.secretName);
    add(out.configmap, obj(v.configMap)?.name);
    add(out.pvc, obj(v.persistentVolumeClaim)?.claimName);
    if (obj(v.ephemeral)) add(out.pvc, `${display(pod.metadata.name)}-${display(v.name)}`);
    for (const src of arr(obj(v.projected)?.sources)) {
      add(out.secret, obj(src.secret)?.name);
      add(out.configmap, obj(src.configMap)?.name);
    }
    for (const k of ['azureFile', 'cephfs', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'storageos', 'csi']) {
      const vol = obj(v[k]);
      add(out.secret, obj(vol?.secretRef)?.name ?? obj(vol?.nodePublishSecretRef)?.name ?? (k === 'azureFile' ? vol?.secretName : undefined));
    }
  }
  return out;
}

export class NodeAuthorizer {
  constructor(private readonly storage: Storage) {}

  /** Allow, or NoOpinion with upstream's reason; undefined when the user is not a node (the Node authorizer abstains). */
  async authorize(user: UserInfo, a: RequestAttributes): Promise<Decision | undefined> {
    const nodeName = nodeIdentity(user);
    if (nodeName === undefined) return undefined;
    if (!nodeName) return noOpinion(`unknown node for user ${JSON.stringify(user.name)}`);
    if (a.resourceRequest) {
      const gr = `${a.apiGroup ?? ''}/${a.resource}`;
      switch (gr) {
        case '/secrets': return this.readNamespaced(nodeName, 'secret', a);
        case '/configmaps': return this.readNamespaced(nodeName, 'configmap', a);
        case '/persistentvolumeclaims':
          if (a.subresource === 'status') return this.statusUpdate(nodeName, 'pvc', a);
          return this.get(nodeName, 'pvc', a);
        case '/persistentvolumes': return this.get(nodeName, 'pv', a);
        case '/serviceaccounts': return this.serviceAccount(nodeName, a);
        case 'coordination.k8s.io/leases': return lease(nodeName, a);
        case 'storage.k8s.io/csinodes': return csiNode(nodeName, a);
        case '/nodes': return node(nodeName, a);
        case '/pods': return this.pod(nodeName, a);
      }
    }
    return rulesAllow(a) ? ALLOW : noOpinion();
  }

  private async statusUpdate(nodeName: string, t: VertexType, a: RequestAttributes): Promise<Decision> {
    if (a.verb !== 'update' && a.verb !== 'patch') return noOpinion('can only get/update/patch this type');
    if (a.subresource !== 'status') return noOpinion('can only update status subresource');
    return this.related(nodeName, t, a);
  }

  private async get(nodeName: string, t: VertexType, a: RequestAttributes): Promise<Decision> {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource) return noOpinion('cannot get subresource');
    return this.related(nodeName, t, a);
  }

  private async readNamespaced(nodeName: string, t: VertexType, a: RequestAttributes): Promise<Decision> {
    if (!READ.includes(a.verb)) return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.related(nodeName, t, a);
  }

  private async serviceAccount(nodeName: string, a: RequestAttributes): Promise<Decision> {
    if (a.verb === 'get' && !a.subresource) return this.readNamespaced(nodeName, 'serviceaccount', a);
    if (a.verb !== 'create' || !a.name) return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.related(nodeName, 'serviceaccount', a);
  }

  private async pod(nodeName: string, a: RequestAttributes): Promise<Decision> {
    switch (a.subresource ?? '') {
      case '':
        if (a.verb === 'get') return this.get(nodeName, 'pod', a);
        if (a.verb === 'list' || a.verb === 'watch') {
          if (a.fieldSelector?.some((r) => r.field === 'spec.nodeName' && r.op === '=' && r.value === nodeName)) return ALLOW;
          if (a.name) return this.related(nodeName, 'pod', a);
          return noOpinion('can only list/watch pods with spec.nodeName field selector');
        }
        if (a.verb === 'create' || a.verb === 'delete') return ALLOW;
        break;
      case 'status':
        if (a.verb === 'update' || a.verb === 'patch') return ALLOW;
        break;
      case 'eviction':
        if (a.verb === 'create') return ALLOW;
        break;
    }
    return noOpinion();
  }

  /** hasPathFrom: is there a path from the object to the node through the Pods bound to it? */
  private async related(nodeName: string, t: VertexType, a: RequestAttributes): Promise<Decision> {
    if (!a.name) return noOpinion('No Object name found');
    const denied = noOpinion(`no relationship found between node '${nodeName}' and this object`);
    const pods = (await this.storage.list('/pods')).items.filter((p) => (p.spec as { nodeName?: unknown } | undefined)?.nodeName === nodeName);
    if (t === 'pod') return pods.some((p) => p.metadata.namespace === a.namespace && p.metadata.name === a.name) ? ALLOW : denied;
    if (t === 'pv') {
      for (const p of pods) {
        for (const claim of podReferences(p).pvc) {
          const pvc = await this.storage.get({ resource: '/persistentvolumeclaims', namespace: p.metadata.namespace ?? '', name: claim });
          if ((pvc?.spec as { volumeName?: unknown } | undefined)?.volumeName === a.name) return ALLOW;
        }
      }
      return denied;
    }
    for (const p of pods) {
      if (p.metadata.namespace !== a.namespace) continue;
      if (podReferences(p)[t].has(a.name)) return ALLOW;
    }
    return denied;
  }
}

function lease(nodeName: string, a: RequestAttributes): Decision {
  if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
  if (a.namespace !== 'kube-node-lease') return noOpinion('can only access leases in the "kube-node-lease" system namespace');
  if (a.verb !== 'create' && a.name !== nodeName) return noOpinion('can only access node lease with the same name as the requesting node');
  return ALLOW;
}

function csiNode(nodeName: string, a: RequestAttributes): Decision {
  if (a.subresource) return noOpinion('cannot authorize CSINode subresources');
  if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a CSINode');
  if (a.verb !== 'create' && a.name !== nodeName) return noOpinion('can only access CSINode with the same name as the requesting node');
  return ALLOW;
}

function node(nodeName: string, a: RequestAttributes): Decision {
  if (!a.subresource) {
    if (['create', 'update', 'patch'].includes(a.verb)) return ALLOW;
    if (READ.includes(a.verb)) {
      if (a.name === nodeName) return ALLOW;
      if (!a.name) return noOpinion(`node '${nodeName}' cannot read all nodes, only its own Node object`);
      return noOpinion(`node '${nodeName}' cannot read '${a.name}', only its own Node object`);
    }
  } else if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
    return ALLOW;
  }
  return noOpinion();
}
