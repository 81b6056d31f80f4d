/**
 * The version-skew guard of a worker rollout, on minor versions as Cluster API's MachineSet preflight checks compare
 * them (lib/version.ts has the policy): a kubelet is never on a newer minor than the control plane, nor more than three
 * minors older. A newer patch of the control plane's minor is within the policy.
 */
import { checkKubeletSkew, oldestVersion, parseVersion } from '../../lib/version.js';

export interface SkewVerdict {
  ok: boolean;
  reason: 'AsExpected' | 'ControlPlaneVersionBehind' | 'WorkerVersionTooOld' | 'ControlPlaneVersionUnknown';
  message: string;
}

export interface SkewInput {
  /** The version the rollout would install. */
  target: string | undefined;
  /** The version the control plane runs (Cluster status, else spec); undefined when unknown. */
  controlPlane: string | undefined;
}

export function checkVersionSkew({ target, controlPlane }: SkewInput): SkewVerdict {
  if (!parseVersion(target)) return { ok: true, reason: 'AsExpected', message: 'the template names no version' };
  if (!parseVersion(controlPlane)) {
    return { ok: false, reason: 'ControlPlaneVersionUnknown', message: `waiting to learn the control plane's version before rolling out ${target}` };
  }
  const problem = checkKubeletSkew(controlPlane!, target!);
  if (problem?.reason === 'KubeletNewerThanControlPlane') {
    return {
      ok: false,
      reason: 'ControlPlaneVersionBehind',
      message: `workers cannot run ${target}: the control plane runs ${controlPlane}, an older minor version; upgrade the control plane first`,
    };
  }
  if (problem) return { ok: false, reason: 'WorkerVersionTooOld', message: `workers cannot run ${target}: ${problem.message}` };
  return { ok: true, reason: 'AsExpected', message: `${target} is within the supported skew of control plane ${controlPlane}` };
}

/**
 * The version a control plane without a managed spec runs: its oldest member's, compared as versions (a text sort
 * would put v1.30.10 before v1.30.9 and call the control plane older than it is).
 */
export function oldestControlPlaneVersion(machines: readonly { spec: { version?: string }; status?: { version?: string } }[]): string | undefined {
  return oldestVersion(machines.map((m) => m.status?.version ?? m.spec.version));
}
