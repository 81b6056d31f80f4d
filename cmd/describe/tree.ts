/**
 * The object tree `clusterd describe cluster` shows, as a pure function of what the API server returned:
 *
 *   Cluster/NAME
 *   ├─ClusterInfrastructure - PROVIDER
 *   ├─ControlPlane - VERSION
 *   │ └─3 Machines...            (control-plane Machines, grouped when they are in the same state)
 *   └─Workers
 *     ├─MachineDeployment/NAME
 *     │ └─MachineSet/NAME
 *     │   └─Machine/NAME
 *     └─Other
 *       └─Machine/NAME           (standalone Machines)
 *
 * clusterd has no separate infrastructure or control-plane objects: those two rows show the Cluster's own
 * InfrastructureReady and ControlPlaneReady conditions, as clusterctl shows the referenced objects' Ready.
 */
import type { Cluster, Condition, Machine, MachineDeployment, MachineSet } from '../../api/v1alpha1/index.js';
import { Labels } from '../../api/v1alpha1/index.js';

export interface TreeNode {
  /** What the row says: "Cluster/demo", "ControlPlane - v1.37.2", "3 Machines...". */
  label: string;
  /** The kind --show-conditions matches (Cluster, Machine, MachineSet, MachineDeployment, or none for a heading). */
  kind?: string;
  /** The condition summarised in the row's READY, SEVERITY, REASON, SINCE and MESSAGE columns. */
  condition?: Condition;
  /** All of the object's conditions, listed under it when --show-conditions asks for its kind. */
  conditions?: Condition[];
  /** Names grouped into this row ("See a, b, c"). */
  grouped?: string[];
  /** A condition row listed under its object by --show-conditions. */
  isCondition?: boolean;
  children: TreeNode[];
}

export interface TreeInput {
  cluster: Cluster;
  machines: Machine[];
  machineSets: MachineSet[];
  machineDeployments: MachineDeployment[];
}

export interface TreeOptions {
  /** "all", or kinds (case-insensitive) whose conditions are listed under each object. */
  showConditions?: string[];
  /** Collapse sibling Machines in the same state into one row (default true). */
  grouping?: boolean;
}

const nameOf = (o: { metadata: { name?: string } }): string => o.metadata.name ?? '';
/** "Kind/name", marked while the object is being deleted (its finalizers still at work). */
const labelOf = (kind: string, o: { metadata: { name?: string; deletionTimestamp?: string } }): string =>
  `${kind}/${nameOf(o)}${o.metadata.deletionTimestamp ? ' (deleting)' : ''}`;
const cond = (conds: Condition[] | undefined, type: string): Condition | undefined => conds?.find((c) => c.type === type);
const ownerName = (o: { metadata: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] } }, kind: string): string | undefined =>
  o.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === kind)?.name;

/** kubectl's short names, so that --show-conditions md works like --show-conditions MachineDeployment. */
const ALIASES: Record<string, string> = { cl: 'cluster', ma: 'machine', ms: 'machineset', md: 'machinedeployment' };

function wantsConditions(kind: string, opts: TreeOptions): boolean {
  const s = (opts.showConditions ?? []).map((k) => k.toLowerCase()).map((k) => ALIASES[k] ?? k.replace(/s$/, ''));
  return s.some((k) => k === 'all' || k === kind.toLowerCase());
}

/** An object's row, with its other conditions as children when asked. */
function objectNode(kind: string, label: string, row: Condition | undefined, conditions: Condition[] | undefined, opts: TreeOptions, children: TreeNode[] = []): TreeNode {
  const node: TreeNode = { label, kind, condition: row, conditions, children };
  if (wantsConditions(kind, opts)) {
    const extra = (conditions ?? []).filter((c) => c !== row).sort((a, b) => a.type.localeCompare(b.type))
      .map((c): TreeNode => ({ label: c.type, condition: c, isCondition: true, children: [] }));
    node.children = [...extra, ...children];
  }
  return node;
}

/** The key that decides whether two Machines share a row: same READY, SEVERITY and REASON. */
const groupKey = (c: Condition | undefined): string => `${c?.status ?? 'Unknown'}|${c?.severity ?? ''}|${c?.reason ?? ''}`;

function machineRows(machines: Machine[], opts: TreeOptions): TreeNode[] {
  const sorted = [...machines].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  const rows = sorted.map((m) => objectNode('Machine', labelOf('Machine', m), cond(m.status?.conditions, 'Ready'), m.status?.conditions, opts));
  if (opts.grouping === false || wantsConditions('Machine', opts)) return rows;
  const groups = new Map<string, TreeNode[]>();
  for (const r of rows) {
    const k = groupKey(r.condition);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: TreeNode[] = [];
  for (const members of groups.values()) {
    if (members.length === 1) {
      out.push(members[0]!);
      continue;
    }
    // The group's SINCE is its most recent transition: the state has held for all of them at least that long.
    const latest = members.map((m) => m.condition).filter((c): c is Condition => c !== undefined)
      .sort((a, b) => (b.lastTransitionTime ?? '').localeCompare(a.lastTransitionTime ?? ''))[0];
    const names = members.map((m) => m.label.replace(/^Machine\//, '').replace(/ \(deleting\)$/, ''));
    out.push({
      label: `${members.length} Machines...`,
      kind: 'Machine',
      condition: latest ? { ...latest, message: `See ${names.join(', ')}` } : undefined,
      grouped: names,
      children: [],
    });
  }
  return out;
}

export function buildTree(input: TreeInput, opts: TreeOptions = {}): TreeNode {
  const { cluster } = input;
  const cname = nameOf(cluster);
  const mine = <T extends { spec: { clusterName: string } }>(l: T[]): T[] => l.filter((o) => o.spec.clusterName === cname);
  const machines = mine(input.machines);
  const sets = mine(input.machineSets).sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  const mds = mine(input.machineDeployments).sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  const cc = cluster.status?.conditions;
  const children: TreeNode[] = [];

  children.push({ label: `ClusterInfrastructure - ${cluster.spec.infrastructure.provider}`, condition: cond(cc, 'InfrastructureReady'), children: [] });

  const isCP = (m: Machine): boolean => m.metadata.labels?.[Labels.controlPlane] !== undefined;
  const cpMachines = machines.filter(isCP);
  if (cluster.spec.controlPlane || cpMachines.length > 0) {
    const cp = cluster.status?.controlPlane;
    const version = cluster.spec.controlPlane?.version ?? cp?.version ?? '';
    const replicas = cluster.spec.controlPlane ? ` (${cp?.readyReplicas ?? 0}/${cluster.spec.controlPlane.replicas ?? 1} ready)` : '';
    children.push({ label: `ControlPlane - ${version}${replicas}`.replace(' - (', ' ('), condition: cond(cc, 'ControlPlaneReady'), children: machineRows(cpMachines, opts) });
  }

  const workers: TreeNode[] = [];
  const setOf = (m: Machine): string | undefined => ownerName(m, 'MachineSet');
  for (const md of mds) {
    // An old revision scaled to zero with no Machines left says nothing here (`clusterd rollout history` lists it).
    const mdSets = sets.filter((s) => ownerName(s, 'MachineDeployment') === nameOf(md))
      .filter((s) => (s.spec.replicas ?? 1) > 0 || (s.status?.replicas ?? 0) > 0 || machines.some((m) => setOf(m) === nameOf(s)));
    const setRows = mdSets.map((s) => objectNode('MachineSet', labelOf('MachineSet', s), cond(s.status?.conditions, 'Ready'), s.status?.conditions, opts,
      machineRows(machines.filter((m) => setOf(m) === nameOf(s)), opts)));
    const st = md.status;
    const counts = ` (${st?.updatedReplicas ?? 0} updated, ${st?.availableReplicas ?? 0}/${md.spec.replicas ?? 1} available)`;
    workers.push(objectNode('MachineDeployment', `${labelOf('MachineDeployment', md)}${counts}`, cond(md.status?.conditions, 'Available'), md.status?.conditions, opts, setRows));
  }
  const ownedSets = new Set(sets.filter((s) => ownerName(s, 'MachineDeployment') !== undefined).map(nameOf));
  for (const s of sets.filter((x) => !ownedSets.has(nameOf(x)))) {
    workers.push(objectNode('MachineSet', labelOf('MachineSet', s), cond(s.status?.conditions, 'Ready'), s.status?.conditions, opts,
      machineRows(machines.filter((m) => setOf(m) === nameOf(s)), opts)));
  }
  const standalone = machines.filter((m) => !isCP(m) && setOf(m) === undefined);
  if (standalone.length > 0) workers.push({ label: 'Other', children: machineRows(standalone, opts) });
  if (workers.length > 0) children.push({ label: 'Workers', children: workers });

  return objectNode('Cluster', labelOf('Cluster', cluster), cond(cc, 'Ready'), cc, opts, children);
}
