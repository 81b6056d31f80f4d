/**
 * The columns kube-apiserver's internal printers (pkg/printers/internalversion) give the built-in kinds served here.
 * Age cells are computed server side, as there.
 */
import { display } from '../../lib/safe-json.js';
import { ageOf } from './age.js';

type Obj = Record<string, unknown>;
export interface ColumnDef { name: string; type: string; format: string; description: string; priority: number }
export interface BuiltinPrinter { columns: ColumnDef[]; cells: (o: Obj, now: number) => unknown[] }

const NAME_DESC = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESC = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const NAME_COLUMN: ColumnDef = { name: 'Name', type: 'string', format: 'name', description: NAME_DESC, priority: 0 };
const col = (name: string, description = '', priority = 0, type = 'string'): ColumnDef => ({ name, type, format: '', description, priority });
const AGE = col('Age', AGE_DESC);

const meta = (o: Obj): Obj => (o.metadata ?? {}) as Obj;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const age = (o: Obj, now: number): string => ageOf(meta(o).creationTimestamp, now);
const name = (o: Obj): string => display(meta(o).name ?? '');

function nodeStatus(o: Obj): string {
  const conds = list(obj(o.status).conditions).map(obj);
  const ready = conds.find((c) => c.type === 'Ready');
  let s = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  if (obj(o.spec).unschedulable) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(o: Obj): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(obj(meta(o).labels))) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r) roles.add(r);
    } else if (k === 'kubernetes.io/role' && typeof v === 'string' && v) {
      roles.add(v);
    }
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function nodeAddress(o: Obj, type: string): string {
  const a = list(obj(o.status).addresses).map(obj).find((x) => x.type === type);
  return typeof a?.address === 'string' ? a.address : '<none>';
}

function csrCondition(o: Obj): string {
  const status = obj(o.status);
  const conds = list(status.conditions).map(obj);
  const out: string[] = [];
  for (const t of ['Approved', 'Denied', 'Failed']) if (conds.some((c) => c.type === t && c.status !== 'False')) out.push(t);
  if (!out.length) out.push('Pending');
  if (typeof status.certificate === 'string' && status.certificate) out.push('Issued');
  return out.join(',');
}

function seconds(s: unknown): string {
  if (typeof s !== 'number') return '<none>';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${m ? `${m}m` : ''}` : m ? `${m}m${sec ? `${sec}s` : ''}` : `${sec}s`;
}

function subjects(o: Obj, kind: string): string {
  return list(o.subjects).map(obj).filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${String(s.namespace ?? '')}/${String(s.name ?? '')}` : String(s.name ?? ''))).join(', ');
}

function createdAt(o: Obj): string {
  const t = meta(o).creationTimestamp;
  return typeof t === 'string' ? t : '';
}

const roleBinding: BuiltinPrinter = {
  columns: [NAME_COLUMN, col('Role', 'Role of the binding.'), AGE, col('Users', 'Users in the binding.', 1), col('Groups', 'Groups in the binding.', 1), col('ServiceAccounts', 'ServiceAccounts in the binding.', 1)],
  cells: (o, now) => {
    const ref = obj(o.roleRef);
    return [name(o), `${display(ref.kind ?? '')}/${display(ref.name ?? '')}`, age(o, now), subjects(o, 'User'), subjects(o, 'Group'), subjects(o, 'ServiceAccount')];
  },
};
const createdAtPrinter: BuiltinPrinter = {
  columns: [NAME_COLUMN, { name: 'Created At', type: 'date', format: '', description: AGE_DESC, priority: 0 }],
  cells: (o) => [name(o), createdAt(o)],
};

/** Keyed by `group/Kind` (core group: `/Kind`). */
export const BUILTIN_PRINTERS: Record<string, BuiltinPrinter> = {
  '/Node': {
    columns: [NAME_COLUMN, col('Status', 'The status of the node'), col('Roles', 'The roles of the node'), AGE,
      col('Version', 'Kubelet Version reported by the node.'), col('Internal-IP', 'List of internal IPs for the node.', 1),
      col('External-IP', 'List of external IPs for the node.', 1), col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col('Container-Runtime', 'Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1)],
    cells: (o, now) => {
      const info = obj(obj(o.status).nodeInfo);
      const s = (v: unknown): string => (typeof v === 'string' && v ? v : '<unknown>');
      return [name(o), nodeStatus(o), nodeRoles(o), age(o, now), display(info.kubeletVersion ?? ''), nodeAddress(o, 'InternalIP'),
        nodeAddress(o, 'ExternalIP'), s(info.osImage), s(info.kernelVersion), s(info.containerRuntimeVersion)];
    },
  },
  '/Namespace': {
    columns: [NAME_COLUMN, col('Status', 'The status of the namespace'), AGE],
    cells: (o, now) => [name(o), String(obj(o.status).phase ?? 'Active'), age(o, now)],
  },
  '/Secret': {
    columns: [NAME_COLUMN, col('Type', 'The type of the secret'), col('Data', 'The number of entries in the secret', 0, 'integer'), AGE],
    cells: (o, now) => [name(o), String(o.type ?? 'Opaque'), Object.keys(obj(o.data)).length, age(o, now)],
  },
  '/ConfigMap': {
    columns: [NAME_COLUMN, col('Data', 'Number of data in configmap', 0, 'integer'), AGE],
    cells: (o, now) => [name(o), Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length, age(o, now)],
  },
  '/ServiceAccount': {
    columns: [NAME_COLUMN, col('Secrets', 'Secrets is the list of secrets allowed to be used by pods running using this ServiceAccount.', 0, 'integer'), AGE],
    cells: (o, now) => [name(o), list(o.secrets).length, age(o, now)],
  },
  'coordination.k8s.io/Lease': {
    columns: [NAME_COLUMN, col('Holder', 'HolderIdentity contains the identity of the holder of a current lease.'), AGE],
    cells: (o, now) => [name(o), String(obj(o.spec).holderIdentity ?? ''), age(o, now)],
  },
  'certificates.k8s.io/CertificateSigningRequest': {
    columns: [NAME_COLUMN, AGE, col('SignerName', 'Only requests with this signer name will be approved or denied.'),
      col('Requestor', 'Name of the user that requested the certificate.'), col('RequestedDuration', 'Duration requested for the certificate.'),
      col('Condition', 'The approval and issuance status of the certificate.')],
    cells: (o, now) => {
      const spec = obj(o.spec);
      return [name(o), age(o, now), String(spec.signerName ?? ''), String(spec.username ?? ''), seconds(spec.expirationSeconds), csrCondition(o)];
    },
  },
  'rbac.authorization.k8s.io/RoleBinding': roleBinding,
  'rbac.authorization.k8s.io/ClusterRoleBinding': roleBinding,
  'rbac.authorization.k8s.io/Role': createdAtPrinter,
  'rbac.authorization.k8s.io/ClusterRole': createdAtPrinter,
  'apiextensions.k8s.io/CustomResourceDefinition': createdAtPrinter,
};

export { AGE_DESC };
