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

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export function getConditions(obj: Conditioned): Condition[] {
  return obj.status?.conditions ?? [];
}

export function getCondition(obj: Conditioned, type: string): Condition | undefined {
  return getConditions(obj).find((c) => c.type === type);
}

export const isTrue = (obj: Conditioned, type: string): boolean => getCondition(obj, type)?.status === 'True';
export const isFalse = (obj: Conditioned, type: string): boolean => getCondition(obj, type)?.status === 'False';

/** Ready first, then alphabetical: the order Cluster API keeps, so diffs and printouts are stable. */
function sortConditions(cs: Condition[]): Condition[] {
  return cs.sort((a, b) => (a.type === READY ? -1 : b.type === READY ? 1 : a.type.localeCompare(b.type)));
}

/** Sets (adds or replaces) a condition; lastTransitionTime is kept unless the status changed. */
export function setCondition(obj: Conditioned, c: Condition): void {
  obj.status ??= {};
  const list = obj.status.conditions ?? [];
  const existing = list.find((x) => x.type === c.type);
  const next: Condition = { ...c };
  if (!next.severity) delete next.severity;
  if (!next.reason) delete next.reason;
  if (!next.message) delete next.message;
  if (obj.metadata?.generation !== undefined && next.observedGeneration === undefined) next.observedGeneration = obj.metadata.generation;
  next.lastTransitionTime = existing && existing.status === next.status && existing.lastTransitionTime ? existing.lastTransitionTime : (c.lastTransitionTime ?? now());
  obj.status.conditions = sortConditions([...list.filter((x) => x.type !== c.type), next]);
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
  obj.status.conditions = obj.status.conditions.filter((c) => c.type !== type);
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
