/**
 * Machines are immutable infrastructure. The embedded API server has no admission webhooks, so the
 * controller enforces it: the version and infrastructure a Machine was first provisioned with are recorded
 * in an annotation, and for a MachineSet-owned Machine a later change is refused (condition + Event) and
 * not acted on. Standalone Machines are the user's own; a change to them is likewise not applied to the
 * running host, but not flagged.
 */
import type { Machine } from '../../api/v1alpha1/index.js';
import { ControllerAnnotations } from '../shared/names.js';
import { stableJson } from '../shared/stable-json.js';

export interface ProvisionedSpec {
  version?: string;
  infrastructure?: unknown;
}

export function provisionedSpecOf(m: Machine): ProvisionedSpec {
  return { version: m.spec.version, infrastructure: m.spec.infrastructure ?? {} };
}

export function encodeProvisionedSpec(m: Machine): string {
  return stableJson(provisionedSpecOf(m));
}

export function isOwnedByMachineSet(m: Machine): boolean {
  return (m.metadata.ownerReferences ?? []).some((r) => r.kind === 'MachineSet' && r.controller === true);
}

/** The fields that changed since provisioning, or [] (also when nothing was recorded yet). */
export function immutableFieldChanges(m: Machine): string[] {
  const recorded = m.metadata.annotations?.[ControllerAnnotations.provisionedSpec];
  if (!recorded) return [];
  let was: ProvisionedSpec;
  try {
    was = JSON.parse(recorded) as ProvisionedSpec;
  } catch {
    return [];
  }
  const now = provisionedSpecOf(m);
  const out: string[] = [];
  if ((was.version ?? '') !== (now.version ?? '')) out.push('spec.version');
  if (stableJson(was.infrastructure ?? {}) !== stableJson(now.infrastructure ?? {})) out.push('spec.infrastructure');
  return out;
}
