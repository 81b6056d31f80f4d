/**
 * The NodeRestriction admission plugin (plugin/pkg/admission/noderestriction), which kubeadm enables: a kubelet may
 * modify only its own Node (and not its taints, owner references or restricted labels), create only mirror Pods bound
 * to itself that reference no other API objects, delete and update the status of only Pods bound to itself, use only
 * its own Lease, and ask only for its own node CSR. Messages are upstream's.
 */
import { display } from '../lib/safe-json.js';
import { csrCommonName } from './csr.js';
import { nodeIdentity } from './node-authorizer.js';
import type { UserInfo } from './auth.js';
import { ApiError } from './status.js';
import type { KObject, Storage } from './storage/index.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionRequest {
  user: UserInfo;
  operation: Operation;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name: string;
  /** The object to be stored (CREATE, UPDATE). */
  object?: KObject;
  /** The stored object (UPDATE, DELETE). */
  old?: KObject;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const labelsOf = (o: KObject | undefined): Record<string, unknown> => asObj(o?.metadata.labels);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region', 'beta.kubernetes.io/instance-type', 'node.kubernetes.io/instance-type', 'kubernetes.io/os',
  'kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const labelNamespace = (k: string): string => (k.includes('/') ? k.slice(0, k.indexOf('/')) : '');
const inNamespace = (ns: string, base: string): boolean => ns === base || ns.endsWith('.' + base);

function isKubeletLabel(k: string): boolean {
  return KUBELET_LABELS.has(k) || KUBELET_LABEL_NAMESPACES.some((n) => inNamespace(labelNamespace(k), n));
}

/** getForbiddenLabels: node-restriction.kubernetes.io/*, and kubernetes.io / k8s.io labels a kubelet may not set. */
export function forbiddenLabels(modified: string[]): string[] {
  return modified.filter((k) => {
    const ns = labelNamespace(k);
    if (inNamespace(ns, 'node-restriction.kubernetes.io')) return true;
    const kube = inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io');
    return kube && !isKubeletLabel(k);
  }).sort();
}

function modifiedLabels(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !Object.prototype.hasOwnProperty.call(a, k) || !Object.prototype.hasOwnProperty.call(b, k) || a[k] !== b[k]);
}

/** A Pod's first reference to another API object (podutil.HasAPIObjectReference), as the resource it names. */
function apiObjectReference(pod: KObject): string | undefined {
  const spec = asObj(pod.spec);
  if (spec.serviceAccountName) return 'serviceaccounts';
  const containers = [...(spec.containers as Obj[] ?? []), ...(spec.initContainers as Obj[] ?? []), ...(spec.ephemeralContainers as Obj[] ?? [])].map(asObj);
  const secrets = (Array.isArray(spec.imagePullSecrets) && spec.imagePullSecrets.length > 0)
    || containers.some((c) => (c.envFrom as Obj[] ?? []).some((e) => asObj(e).secretRef) || (c.env as Obj[] ?? []).some((e) => asObj(asObj(e).valueFrom).secretKeyRef));
  if (secrets) return 'secrets';
  const configMaps = containers.some((c) => (c.envFrom as Obj[] ?? []).some((e) => asObj(e).configMapRef) || (c.env as Obj[] ?? []).some((e) => asObj(asObj(e).valueFrom).configMapKeyRef));
  if (configMaps) return 'configmaps';
  if (Array.isArray(spec.resourceClaims) && spec.resourceClaims.length > 0) return 'resourceclaims';
  for (const raw of Array.isArray(spec.volumes) ? spec.volumes : []) {
    const v = asObj(raw);
    if (v.configMap) return 'configmaps (via configmap volumes)';
    if (v.secret) return 'secrets (via secret volumes)';
    if (v.csi) return 'csidrivers (via CSI volumes)';
    if (v.glusterfs) return 'endpoints (via glusterFS volumes)';
    if (v.persistentVolumeClaim) return 'persistentvolumeclaims';
    if (v.ephemeral) return 'persistentvolumeclaims (via ephemeral volumes)';
    if (v.azureFile) return 'secrets (via azureFile volumes)';
    for (const s of (asObj(v.projected).sources as Obj[] | undefined) ?? []) {
      const src = asObj(s);
      if (src.configMap) return 'configmaps (via projected volumes)';
      if (src.secret) return 'secrets (via projected volumes)';
      if (src.serviceAccountToken) return 'serviceaccounts (via projected volumes)';
      if (src.clusterTrustBundle) return 'clustertrustbundles';
      if (src.podCertificate) return 'podcertificates';
    }
  }
  return undefined;
}

export class NodeRestriction {
  constructor(private readonly storage: Storage) {}

  /** Throws kube's 403 when the request is a node's and NodeRestriction refuses it. */
  async admit(a: AdmissionRequest): Promise<void> {
    const nodeName = nodeIdentity(a.user);
    if (nodeName === undefined) return;
    const forbid = (msg: string): ApiError => {
      const gr = a.group ? `${a.resource}.${a.group}` : a.resource;
      return new ApiError(403, 'Forbidden', `${gr} "${a.name}" is forbidden: ${msg}`, { name: a.name, group: a.group, kind: a.resource });
    };
    if (!nodeName) throw forbid(`could not determine node from user ${JSON.stringify(a.user.name)}`);
    const gr = `${a.group}/${a.resource}`;
    switch (gr) {
      case '/pods': return this.pod(nodeName, a, forbid);
      case '/nodes': return admitNode(nodeName, a, forbid);
      case '/persistentvolumeclaims':
        if (a.subresource !== 'status') throw forbid('may only update PVC status');
        return;
      case 'coordination.k8s.io/leases':
        if (a.namespace !== 'kube-node-lease') throw forbid('can only access leases in the "kube-node-lease" system namespace');
        if (a.name !== nodeName) throw forbid('can only access node lease with the same name as the requesting node');
        return;
      case 'certificates.k8s.io/certificatesigningrequests':
        if (a.operation === 'CREATE' && !a.subresource) admitCsr(nodeName, a.object, forbid);
        return;
      default:
        return;
    }
  }

  private async pod(nodeName: string, a: AdmissionRequest, forbid: (m: string) => ApiError): Promise<void> {
    const sub = a.subresource ?? '';
    if (sub === 'status') {
      if (a.operation !== 'UPDATE') throw forbid(`unexpected operation "${a.operation}"`);
      if (asObj(a.old?.spec).nodeName !== nodeName) throw forbid(`node "${nodeName}" can only update pod status for pods with spec.nodeName set to itself`);
      if (!same(labelsOf(a.old), labelsOf(a.object))) throw forbid(`node "${nodeName}" cannot update labels through pod status`);
      return;
    }
    if (sub === 'eviction') return;
    if (sub !== '') throw forbid(`unexpected pod subresource "${sub}", only 'status' and 'eviction' are allowed`);
    if (a.operation === 'DELETE') {
      if (asObj(a.old?.spec).nodeName !== nodeName) throw forbid(`node "${nodeName}" can only delete pods with spec.nodeName set to itself`);
      return;
    }
    if (a.operation !== 'CREATE') throw forbid(`unexpected operation "${a.operation}", node "${nodeName}" can only create and delete mirror pods`);
    const pod = a.object!;
    const annotations = asObj(pod.metadata.annotations);
    if (!Object.prototype.hasOwnProperty.call(annotations, MIRROR_ANNOTATION)) {
      throw forbid(`pod does not have "${MIRROR_ANNOTATION}" annotation, node "${nodeName}" can only create mirror pods`);
    }
    if (asObj(pod.spec).nodeName !== nodeName) throw forbid(`node "${nodeName}" can only create pods with spec.nodeName set to itself`);
    const owners = (pod.metadata.ownerReferences ?? []) as unknown as Obj[];
    if (owners.length > 1) throw forbid(`node "${nodeName}" can only create pods with a single owner reference set to itself`);
    if (owners.length === 0) throw forbid(`node "${nodeName}" can only create pods with an owner reference set to itself`);
    const owner = asObj(owners[0]);
    if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== nodeName) throw forbid(`node "${nodeName}" can only create pods with an owner reference set to itself`);
    if (owner.controller !== true) throw forbid(`node "${nodeName}" can only create pods with a controller owner reference set to itself`);
    if (owner.blockOwnerDeletion === true) throw forbid(`node "${nodeName}" must not set blockOwnerDeletion on an owner reference`);
    const node = await this.storage.get({ resource: '/nodes', namespace: '', name: nodeName });
    if (!node) throw new ApiError(404, 'NotFound', `nodes "${nodeName}" not found`, { name: nodeName, kind: 'nodes' });
    if (owner.uid !== node.metadata.uid) throw forbid(`node ${nodeName} UID mismatch: expected ${display(owner.uid)} got ${display(node.metadata.uid)}`);
    const ref = apiObjectReference(pod);
    if (ref) throw forbid(`node "${nodeName}" can not create pods that reference ${ref}`);
  }
}

function admitNode(nodeName: string, a: AdmissionRequest, forbid: (m: string) => ApiError): void {
  if (a.name !== nodeName) throw forbid(`node "${nodeName}" is not allowed to modify node "${a.name}"`);
  const spec = asObj(a.object?.spec);
  if (a.operation === 'CREATE') {
    if (spec.configSource !== undefined && spec.configSource !== null) throw forbid(`node "${nodeName}" is not allowed to create pods with a non-nil configSource`);
    const bad = forbiddenLabels(modifiedLabels(labelsOf(a.object), {}));
    if (bad.length) throw forbid(`node "${nodeName}" is not allowed to set the following labels: ${bad.join(', ')}`);
  }
  if (a.operation === 'UPDATE') {
    const oldSpec = asObj(a.old?.spec);
    if (spec.configSource !== undefined && spec.configSource !== null && !same(spec.configSource, oldSpec.configSource)) {
      throw forbid(`node "${nodeName}" is not allowed to update configSource to a new non-nil configSource`);
    }
    const taints = (t: unknown): unknown => (Array.isArray(t) && t.length > 0 ? t : null);
    if (!same(taints(spec.taints), taints(oldSpec.taints))) throw forbid(`node "${nodeName}" is not allowed to modify taints`);
    const owners = (o: KObject | undefined): unknown => (Array.isArray(o?.metadata.ownerReferences) && o.metadata.ownerReferences.length > 0 ? o.metadata.ownerReferences : null);
    if (!same(owners(a.object), owners(a.old))) throw forbid(`node "${nodeName}" is not allowed to modify ownerReferences`);
    const bad = forbiddenLabels(modifiedLabels(labelsOf(a.object), labelsOf(a.old)));
    if (bad.length) throw forbid(`is not allowed to modify labels: ${bad.join(', ')}`);
  }
}

const KUBELET_SIGNERS = new Set(['kubernetes.io/kubelet-serving', 'kubernetes.io/kube-apiserver-client-kubelet']);

function admitCsr(nodeName: string, csr: KObject | undefined, forbid: (m: string) => ApiError): void {
  const spec = asObj(csr?.spec);
  if (typeof spec.signerName !== 'string' || !KUBELET_SIGNERS.has(spec.signerName)) return;
  let cn: string;
  try {
    cn = csrCommonName(typeof spec.request === 'string' ? spec.request : '');
  } catch (e) {
    throw forbid(`unable to parse csr: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (cn !== `system:node:${nodeName}`) throw forbid(`can only create a node CSR with CN=system:node:${nodeName}`);
}
