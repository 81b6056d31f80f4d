/**
 * The version-skew guard: workers never run a newer Kubernetes than the control plane (the kubelet may be
 * older than the API server, never newer), and a rollout never jumps more than one minor version at once.
 */

export interface SkewVerdict {
  ok: boolean;
  reason: 'AsExpected' | 'ControlPlaneVersionBehind' | 'MinorVersionJumpTooLarge' | 'ControlPlaneVersionUnknown';
  message: string;
}

export interface ParsedVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseVersion(v: string | undefined): ParsedVersion | undefined {
  const m = v ? /^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim()) : null;
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

export function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export interface SkewInput {
  /** The version the rollout would install. */
  target: string | undefined;
  /** The version the control plane runs (Cluster status, else spec); undefined when unknown. */
  controlPlane: string | undefined;
  /** Versions of the Machines the deployment runs now. */
  current: readonly (string | undefined)[];
}

export function checkVersionSkew({ target, controlPlane, current }: SkewInput): SkewVerdict {
  const t = parseVersion(target);
  if (!t) return { ok: true, reason: 'AsExpected', message: 'the template names no version' };
  const cp = parseVersion(controlPlane);
  if (!cp) {
    return { ok: false, reason: 'ControlPlaneVersionUnknown', message: `waiting to learn the control plane's version before rolling out ${target}` };
  }
  if (compareVersions(t, cp) > 0) {
    return {
      ok: false,
      reason: 'ControlPlaneVersionBehind',
      message: `workers cannot run ${target}: the control plane runs ${controlPlane}; upgrade the control plane first`,
    };
  }
  let oldest: ParsedVersion | undefined;
  let oldestText = '';
  for (const v of current) {
    const p = parseVersion(v);
    if (p && (!oldest || compareVersions(p, oldest) < 0)) {
      oldest = p;
      oldestText = v!;
    }
  }
  if (oldest && t.major === oldest.major && t.minor - oldest.minor > 1) {
    return {
      ok: false,
      reason: 'MinorVersionJumpTooLarge',
      message: `cannot roll out ${target}: workers run ${oldestText} and an upgrade may move one minor version at a time`,
    };
  }
  return { ok: true, reason: 'AsExpected', message: `${target} is within the supported skew of control plane ${controlPlane}` };
}
