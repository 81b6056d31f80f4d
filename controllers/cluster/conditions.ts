/** Condition bookkeeping for status.conditions: lastTransitionTime moves only when status changes. */
import type { Condition } from '../../api/v1alpha1/index.js';

export type ConditionStatus = Condition['status'];

export function getCondition(conds: Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}

export function isTrue(conds: Condition[] | undefined, type: string): boolean {
  return getCondition(conds, type)?.status === 'True';
}

/** Returns a new list with the condition set; keeps lastTransitionTime when the status is unchanged. */
export function setCondition(
  conds: Condition[] | undefined,
  cond: { type: string; status: ConditionStatus; reason?: string; message?: string; severity?: Condition['severity'] },
  observedGeneration?: number,
  now: Date = new Date(),
): Condition[] {
  const list = [...(conds ?? [])];
  const i = list.findIndex((c) => c.type === cond.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: cond.type,
    status: cond.status,
    ...(cond.severity !== undefined ? { severity: cond.severity } : cond.status === 'False' ? { severity: 'Info' as const } : {}),
    reason: cond.reason ?? (cond.status === 'True' ? cond.type : 'Unknown'),
    message: cond.message ?? '',
    lastTransitionTime: prev && prev.status === cond.status && prev.lastTransitionTime ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/** Conditions compared without timestamps, so an unchanged status is not written again. */
export function sameConditions(a: Condition[] | undefined, b: Condition[] | undefined): boolean {
  const strip = (l: Condition[] | undefined): string =>
    JSON.stringify([...(l ?? [])].map((c) => ({ ...c, lastTransitionTime: undefined })).sort((x, y) => x.type.localeCompare(y.type)));
  return strip(a) === strip(b);
}
