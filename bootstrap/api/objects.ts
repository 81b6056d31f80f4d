/** The cluster objects kubeadm init creates, built as plain API objects (no I/O here). */
import yaml from 'js-yaml';
import * as C from '../constants.js';
import type { KubeObject } from './client.js';

const RBAC = 'rbac.authorization.k8s.io';
const group = (name: string): { kind: string; apiGroup: string; name: string } => ({ kind: 'Group', apiGroup: RBAC, name });

function crb(name: string, role: string, subjects: { kind: string; name: string; apiGroup?: string; namespace?: string }[]): KubeObject {
  return { kind: 'ClusterRoleBinding', apiVersion: `${RBAC}/v1`, metadata: { name }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role }, subjects };
}

function role(name: string, namespace: string, rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[]): KubeObject {
  return { kind: 'Role', apiVersion: `${RBAC}/v1`, metadata: { name, namespace }, rules };
}

function roleBinding(name: string, namespace: string, roleName: string, subjects: { kind: string; name: string; apiGroup?: string; namespace?: string }[]): KubeObject {
  return { kind: 'RoleBinding', apiVersion: `${RBAC}/v1`, metadata: { name, namespace }, roleRef: { apiGroup: RBAC, kind: 'Role', name: roleName }, subjects };
}

/** kubeadm:cluster-admins → cluster-admin, so that admin.conf (in that group, not system:masters) administers. */
export function clusterAdminsBinding(): KubeObject {
  return crb(C.CLUSTER_ADMINS_CRB, 'cluster-admin', [group(C.CLUSTER_ADMINS_GROUP)]);
}

/**
 * The default ClusterRoles kubeadm's bindings point at. kube-apiserver's bootstrap policy provides them; they are
 * created only when absent, so an API server that already has them keeps its own.
 */
export function bootstrapClusterRoles(): KubeObject[] {
  const csr = 'certificates.k8s.io';
  return [
    { kind: 'ClusterRole', apiVersion: `${RBAC}/v1`, metadata: { name: C.NODE_BOOTSTRAPPER_CLUSTERROLE }, rules: [{ apiGroups: [csr], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch'] }] },
    { kind: 'ClusterRole', apiVersion: `${RBAC}/v1`, metadata: { name: C.CSR_NODECLIENT_CLUSTERROLE }, rules: [{ apiGroups: [csr], resources: ['certificatesigningrequests/nodeclient'], verbs: ['create'] }] },
    { kind: 'ClusterRole', apiVersion: `${RBAC}/v1`, metadata: { name: C.CSR_SELFNODECLIENT_CLUSTERROLE }, rules: [{ apiGroups: [csr], resources: ['certificatesigningrequests/selfnodeclient'], verbs: ['create'] }] },
  ];
}

/** The three ClusterRoleBindings for CSR creation and auto-approval, plus kubeadm:get-nodes for joining nodes. */
export function bootstrapTokenRBAC(): KubeObject[] {
  return [
    crb(C.NODE_KUBELET_BOOTSTRAP_CRB, C.NODE_BOOTSTRAPPER_CLUSTERROLE, [group(C.NODE_BOOTSTRAP_TOKEN_AUTH_GROUP)]),
    crb(C.NODE_AUTOAPPROVE_BOOTSTRAP_CRB, C.CSR_NODECLIENT_CLUSTERROLE, [group(C.NODE_BOOTSTRAP_TOKEN_AUTH_GROUP)]),
    crb(C.NODE_AUTOAPPROVE_ROTATION_CRB, C.CSR_SELFNODECLIENT_CLUSTERROLE, [group(C.NODES_GROUP)]),
    { kind: 'ClusterRole', apiVersion: `${RBAC}/v1`, metadata: { name: 'kubeadm:get-nodes' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }] },
    crb('kubeadm:get-nodes', 'kubeadm:get-nodes', [group(C.NODE_BOOTSTRAP_TOKEN_AUTH_GROUP)]),
  ];
}

/** cluster-info's kubeconfig: one nameless cluster with the endpoint and the CA, no users (kubeadm's clusterinfo phase). */
export function clusterInfoKubeconfig(server: string, caPem: string): string {
  return yaml.dump({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(caPem).toString('base64'), server }, name: '' }],
    contexts: null,
    'current-context': '',
    kind: 'Config',
    preferences: {},
    users: null,
  }, { lineWidth: -1 });
}

export function clusterInfoConfigMap(kubeconfig: string, signatures: Record<string, string>): KubeObject {
  const data: Record<string, string> = { kubeconfig };
  for (const [id, sig] of Object.entries(signatures)) data[`${C.JWS_KEY_PREFIX}${id}`] = sig;
  return { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: C.CLUSTER_INFO_CONFIGMAP, namespace: 'kube-public' }, data };
}

/** Anonymous read of cluster-info, and nothing else. */
export function clusterInfoRBAC(): KubeObject[] {
  return [
    role(C.CLUSTER_INFO_ROLE, 'kube-public', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: [C.CLUSTER_INFO_CONFIGMAP] }]),
    roleBinding(C.CLUSTER_INFO_ROLE, 'kube-public', C.CLUSTER_INFO_ROLE, [{ kind: 'User', apiGroup: RBAC, name: 'system:anonymous' }]),
  ];
}

/** kubeadm-config and kubelet-config, readable by joining nodes and by nodes. */
export function uploadConfigObjects(clusterConfigYaml: string, kubeletConfigYaml: string): KubeObject[] {
  const readers = [group(C.NODE_BOOTSTRAP_TOKEN_AUTH_GROUP), group(C.NODES_GROUP)];
  return [
    { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: C.KUBEADM_CONFIG_CONFIGMAP, namespace: 'kube-system' }, data: { ClusterConfiguration: clusterConfigYaml } },
    role('kubeadm:nodes-kubeadm-config', 'kube-system', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: [C.KUBEADM_CONFIG_CONFIGMAP] }]),
    roleBinding('kubeadm:nodes-kubeadm-config', 'kube-system', 'kubeadm:nodes-kubeadm-config', readers),
    { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: C.KUBELET_CONFIG_CONFIGMAP, namespace: 'kube-system' }, data: { kubelet: kubeletConfigYaml } },
    role('kubeadm:kubelet-config', 'kube-system', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: [C.KUBELET_CONFIG_CONFIGMAP] }]),
    roleBinding('kubeadm:kubelet-config', 'kube-system', 'kubeadm:kubelet-config', readers),
  ];
}

export function kubeadmCertsRBAC(): KubeObject[] {
  return [
    role(C.KUBEADM_CERTS_ROLE, 'kube-system', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [C.KUBEADM_CERTS_SECRET] }]),
    roleBinding(C.KUBEADM_CERTS_ROLE, 'kube-system', C.KUBEADM_CERTS_ROLE, [group(C.NODE_BOOTSTRAP_TOKEN_AUTH_GROUP)]),
  ];
}
