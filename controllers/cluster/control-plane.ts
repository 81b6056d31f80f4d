/**
 * What a managed control plane should do next, as a pure function of what exists. One step per reconcile,
 * one member changing at a time, so etcd keeps quorum and the endpoint keeps a live member behind it:
 *   - nothing before the first member has initialised the cluster;
 *   - a member that is not Ready (or is going away) holds everything else back;
 *   - a rollout surges by one (new member joins and becomes Ready) then removes the oldest outdated member;
 *   - scale down removes outdated, then annotated, then not-Ready, then oldest members, never the last one.
 */
import { createHash } from 'node:crypto';
import { Annotations, type ControlPlane } from '../../api/v1alpha1/index.js';
import { stableJson } from '../shared/stable-json.js';
import { checkApiServerSkew, checkControlPlaneStep, type SkewProblem } from '../../lib/version.js';

export interface CPMember {
  name: string;
  creationTimestamp: string;
  deleting: boolean;
  ready: boolean;
  failed: boolean;
  version?: string;
  templateHash?: string;
  /** Annotated clusterd.dev/delete-machine. */
  markedForDeletion?: boolean;
}

export interface CPDesired {
  replicas: number;
  version: string;
  templateHash: string;
}

export type CPAction =
  | { type: 'create'; role: 'init' | 'join' }
  | { type: 'delete'; machine: string; reason: 'ScaleDown' | 'Outdated' | 'Failed' }
  | { type: 'wait'; reason: string; message: string }
  | { type: 'none' };

/** A stable hash of the parts of the machine template that require replacing a member when changed. */
export function templateHash(cp: ControlPlane | undefined): string {
  const t = cp?.machineTemplate ?? {};
  const { dataSecretName: _ignored, ...bootstrap } = t.bootstrap ?? {};
  // `clusterd rollout restart cp` sets restartedAt; hashed only when present, so existing members stay current.
  const restartedAt = t.metadata?.annotations?.[Annotations.restartedAt];
  return createHash('sha256').update(stableJson({ infrastructure: t.infrastructure ?? {}, bootstrap, ...(restartedAt ? { restartedAt } : {}) })).digest('hex').slice(0, 10);
}

export function isOutdated(m: CPMember, d: CPDesired): boolean {
  return m.version !== d.version || m.templateHash !== d.templateHash;
}

const byAge = (a: CPMember, b: CPMember): number =>
  a.creationTimestamp.localeCompare(b.creationTimestamp) || a.name.localeCompare(b.name);

/** Which member a scale down removes: outdated, then annotated, then not Ready, then the oldest. */
export function scaleDownVictim(members: CPMember[], d: CPDesired): CPMember | undefined {
  const rank = (m: CPMember): number => (isOutdated(m, d) ? 0 : m.markedForDeletion ? 1 : !m.ready ? 2 : 3);
  return [...members].sort((a, b) => rank(a) - rank(b) || byAge(a, b))[0];
}

/**
 * Whether the desired version may be rolled out over the members that run now: every member within one minor of it
 * (the control plane moves one minor at a time, up or down) and so every pair of API servers during the rollout within
 * one minor of each other. Only the version of members still running counts; a member being deleted is leaving.
 */
export function controlPlaneVersionProblem(all: CPMember[], d: CPDesired): SkewProblem | undefined {
  const running = all.filter((m) => !m.deleting).map((m) => m.version).filter((v): v is string => !!v);
  return checkControlPlaneStep(running, d.version) ?? checkApiServerSkew([...running, d.version]);
}

export function nextControlPlaneAction(all: CPMember[], d: CPDesired, initialized: boolean): CPAction {
  const deleting = all.filter((m) => m.deleting);
  const members = all.filter((m) => !m.deleting);
  if (deleting.length > 0) {
    return { type: 'wait', reason: 'Deleting', message: `waiting for ${deleting.map((m) => m.name).sort().join(', ')} to be deleted` };
  }
  // A version the skew policy forbids holds every step: no member is created at it, none is replaced for it.
  const skew = controlPlaneVersionProblem(members, d);
  if (skew) return { type: 'wait', reason: skew.reason, message: skew.message };
  if (members.length === 0) return { type: 'create', role: initialized ? 'join' : 'init' };
  if (!initialized) {
    const failed = members.find((m) => m.failed);
    if (failed) return { type: 'delete', machine: failed.name, reason: 'Failed' };
    return { type: 'wait', reason: 'WaitingForInit', message: 'waiting for the first control-plane machine to initialise the cluster' };
  }
  // A member that failed for good never becomes Ready; replace it, but never take the last one.
  const failed = members.filter((m) => m.failed).sort(byAge);
  if (failed.length > 0 && members.length > 1) return { type: 'delete', machine: failed[0]!.name, reason: 'Failed' };
  const notReady = members.filter((m) => !m.ready);
  if (notReady.length > 0) {
    return { type: 'wait', reason: 'WaitingForReady', message: `waiting for ${notReady.map((m) => m.name).sort().join(', ')} to be Ready` };
  }
  const outdated = members.filter((m) => isOutdated(m, d)).sort(byAge);
  if (members.length > d.replicas) {
    const victim = outdated[0] ?? scaleDownVictim(members, d);
    if (victim && members.length > 1) return { type: 'delete', machine: victim.name, reason: outdated.length > 0 ? 'Outdated' : 'ScaleDown' };
  }
  if (members.length < d.replicas) return { type: 'create', role: 'join' };
  // At the desired size with outdated members: surge by one; the next step removes the oldest outdated.
  if (outdated.length > 0) return { type: 'create', role: 'join' };
  return { type: 'none' };
}

export interface CPCounts {
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
}

export function controlPlaneCounts(all: CPMember[], d: CPDesired | undefined): CPCounts {
  const members = all.filter((m) => !m.deleting);
  return {
    replicas: members.length,
    readyReplicas: members.filter((m) => m.ready).length,
    updatedReplicas: d ? members.filter((m) => !isOutdated(m, d)).length : members.length,
  };
}
