/**
 * Condition helpers in Cluster API's style: conditions are keyed by type; lastTransitionTime changes only
 * when the status changes; False conditions carry a severity; a summary Ready condition is derived from
 * the others (the worst one wins).
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';
export type ConditionSeverity = 'Error' | 'Warning' | 'Info' | '';

export interface Condition {
  type: string;
  status: ConditionStatus;
  severity?: ConditionSeverity;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** Anything with status.conditions. */
export interface Conditioned {
  metadata?: { generation?: number };
  status?: { conditions?: Condition[]; [field: string]: unknown };
}

export const READY = 'Ready';

/** The one timestamp format of conditions: RFC 3339 to the second, as metav1.Time serialises. */
export const conditionTime = (t: Date | number = new Date()): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A condition as a controller states it; the library fills in the rest. */
export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  severity?: ConditionSeverity;
}

export interface SetOptions {
  /** Recorded as the condition's observedGeneration. */
  observedGeneration?: number;
  /** The clock, for lastTransitionTime. */
  now?: Date | number;
}

export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

export function getConditions(obj: Conditioned): Condition[] {
  return obj.status?.conditions ?? [];
}

export function getCondition(obj: Conditioned, type: string): Condition | undefined {
  return findCondition(obj.status?.conditions, type);
}

export const isFalse = (obj: Conditioned, type: string): boolean => getCondition(obj, type)?.status === 'False';

/** The one order of conditions: Ready first, then by type, as Cluster API keeps them, so diffs and printouts are stable. */
export function sortConditions<C extends { type: string }>(cs: C[]): C[] {
  return cs.sort((a, b) => (a.type === READY ? -1 : b.type === READY ? 1 : a.type.localeCompare(b.type)));
}

/**
 * The condition `c` becomes, given the list it replaces one in: lastTransitionTime is kept unless the status
 * changed; a False condition without a severity is Info; a missing reason is the type (True) or Unknown.
 */
export function nextCondition(list: readonly Condition[] | undefined, c: ConditionInput, opts: SetOptions = {}): Condition {
  const prev = findCondition(list, c.type);
  return {
    type: c.type,
    status: c.status,
    ...(c.severity !== undefined ? { severity: c.severity } : c.status === 'False' ? { severity: 'Info' as const } : {}),
    reason: c.reason ?? (c.status === 'True' ? c.type : 'Unknown'),
    message: c.message ?? '',
    lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : conditionTime(opts.now),
    ...(opts.observedGeneration !== undefined ? { observedGeneration: opts.observedGeneration } : {}),
  };
}

/** The list with exactly `c` in place of the condition of its type, sorted. */
export function putCondition(list: readonly Condition[] | undefined, c: Condition): Condition[] {
  return sortConditions([...(list ?? []).filter((x) => x.type !== c.type), c]);
}

/** Returns a new list with the condition set (see nextCondition), sorted. */
export function withCondition(list: readonly Condition[] | undefined, c: ConditionInput, opts: SetOptions = {}): Condition[] {
  return putCondition(list, nextCondition(list, c, opts));
}

/** The list without the condition of that type. */
export function withoutCondition(list: readonly Condition[] | undefined, type: string): Condition[] {
  return (list ?? []).filter((c) => c.type !== type);
}

/** Sets (adds or replaces) a condition on obj; observedGeneration is obj's generation unless given. */
export function setCondition(obj: Conditioned, c: ConditionInput, opts: SetOptions = {}): void {
  obj.status ??= {};
  obj.status.conditions = withCondition(obj.status.conditions, c, { observedGeneration: obj.metadata?.generation, ...opts });
}

export function markTrue(obj: Conditioned, type: string, reason?: string, message?: string): void {
  setCondition(obj, { type, status: 'True', reason, message });
}

export function markFalse(obj: Conditioned, type: string, reason: string, severity: ConditionSeverity, message?: string): void {
  setCondition(obj, { type, status: 'False', reason, severity, message });
}

export function markUnknown(obj: Conditioned, type: string, reason: string, message?: string): void {
  setCondition(obj, { type, status: 'Unknown', reason, message });
}

export function deleteCondition(obj: Conditioned, type: string): void {
  if (!obj.status?.conditions) return;
  obj.status.conditions = withoutCondition(obj.status.conditions, type);
}

const SEVERITY_RANK: Record<string, number> = { Error: 3, Warning: 2, Info: 1, '': 0 };

/**
 * Sets Ready from the given condition types (all present ones when omitted): True when all are True;
 * otherwise the most severe False one (Error > Warning > Info) lends its reason, severity and message;
 * Unknown when none is False but some are Unknown or missing.
 */
export function setSummary(obj: Conditioned, types?: string[]): void {
  const wanted = types ?? getConditions(obj).map((c) => c.type).filter((t) => t !== READY);
  const cs = wanted.map((t) => getCondition(obj, t) ?? ({ type: t, status: 'Unknown', reason: 'NotReported' } as Condition));
  const falses = cs.filter((c) => c.status === 'False');
  if (falses.length > 0) {
    const worst = falses.reduce((a, b) => ((SEVERITY_RANK[b.severity ?? ''] ?? 0) > (SEVERITY_RANK[a.severity ?? ''] ?? 0) ? b : a));
    markFalse(obj, READY, worst.reason ?? `${worst.type}False`, worst.severity ?? 'Info', worst.message ?? `${worst.type} is False`);
    return;
  }
  const unknown = cs.find((c) => c.status !== 'True');
  if (unknown) {
    markUnknown(obj, READY, unknown.reason ?? `${unknown.type}Unknown`, unknown.message);
    return;
  }
  markTrue(obj, READY);
}
