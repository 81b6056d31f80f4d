/**
 * What "ready" and "available" mean for a Machine, in one place for every controller.
 *
 * A Machine is ready when its Ready condition is True, or (for controllers that do not write conditions)
 * when it is Running with a nodeRef. It is available once it has been ready for minReadySeconds, timed from
 * the Ready condition's lastTransitionTime (falling back to status.lastUpdated, then creationTimestamp).
 * A Machine being deleted is neither. The Machine controller only has to keep Ready and phase honest.
 */
import type { Machine } from '../../api/v1alpha1/index.js';
import { findCondition, READY as READY_CONDITION } from '../../runtime/conditions.js';

export function isDeleting(m: { metadata: { deletionTimestamp?: string } }): boolean {
  return Boolean(m.metadata.deletionTimestamp);
}

/** A Machine the provider gave up on, or that its controller marked Failed. */
export function isMachineFailed(m: Machine): boolean {
  return m.status?.phase === 'Failed' || Boolean(m.status?.failureReason) || Boolean(m.status?.failureMessage);
}

export function isMachineReady(m: Machine): boolean {
  if (isDeleting(m) || isMachineFailed(m)) return false;
  const ready = findCondition(m.status?.conditions, READY_CONDITION);
  if (ready) return ready.status === 'True';
  return m.status?.phase === 'Running' && Boolean(m.status.nodeRef);
}

/** When the Machine last became ready, in ms since the epoch; undefined when it is not ready. */
export function readySince(m: Machine): number | undefined {
  if (!isMachineReady(m)) return undefined;
  const ready = findCondition(m.status?.conditions, READY_CONDITION);
  const stamp = ready?.lastTransitionTime ?? m.status?.lastUpdated ?? m.metadata.creationTimestamp;
  const t = stamp ? Date.parse(stamp) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

export function isMachineAvailable(m: Machine, minReadySeconds: number, now: number): boolean {
  const since = readySince(m);
  if (since === undefined) return false;
  return minReadySeconds <= 0 || since + minReadySeconds * 1000 <= now;
}

/**
 * Milliseconds until the first ready-but-not-yet-available Machine becomes available, so a controller can
 * requeue then: nothing changes on the API server at that moment, so no watch event would wake it.
 */
export function nextAvailableIn(machines: readonly Machine[], minReadySeconds: number, now: number): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const m of machines) {
    const since = readySince(m);
    if (since === undefined) continue;
    const wait = since + minReadySeconds * 1000 - now;
    if (wait > 0 && (next === undefined || wait < next)) next = wait;
  }
  return next;
}
