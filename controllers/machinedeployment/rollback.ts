/** Rollback, as `kubectl rollout undo` does for Deployments: copy an earlier MachineSet's template back. */
import type { MachineDeployment, MachineSet, MachineTemplate } from '../../api/v1alpha1/index.js';
import { templateWithoutHash } from '../shared/template-hash.js';
import { revisionOf } from './machinesets.js';

/**
 * The template to restore: revision `toRevision`, or with 0 the newest revision before the current one.
 * Throws a clear error when that revision does not exist.
 */
export function rollbackTemplate(md: MachineDeployment, sets: readonly MachineSet[], toRevision = 0): { revision: number; template: MachineTemplate } {
  const byRevision = [...sets].filter((ms) => revisionOf(ms) > 0).sort((a, b) => revisionOf(b) - revisionOf(a));
  let target: MachineSet | undefined;
  if (toRevision > 0) target = byRevision.find((ms) => revisionOf(ms) === toRevision);
  else target = byRevision[1];
  if (!target) {
    const known = byRevision.map(revisionOf).join(', ') || 'none';
    throw new Error(toRevision > 0
      ? `--to-revision: revision ${toRevision} of MachineDeployment ${md.metadata.name ?? ''} not found (revisions: ${known})`
      : `MachineDeployment ${md.metadata.name ?? ''} has no previous revision to roll back to (revisions: ${known})`);
  }
  return { revision: revisionOf(target), template: templateWithoutHash(target.spec.template) };
}
