/**
 * Kubernetes versions: one parser and one ordering for the whole project (bootstrap, controllers, providers), and
 * the version-skew policy as upstream states it (kubernetes.io/releases/version-skew-policy), always on minor
 * versions, as Cluster API's MachineSet preflight checks compare them:
 *   - the control plane moves one minor at a time (kubeadm upgrade refuses more);
 *   - HA kube-apiservers stay within one minor of each other;
 *   - a kubelet is never on a newer minor than the API server, and at most three minors older; any patch of an
 *     allowed minor is fine (a worker on v1.37.3 under a v1.37.2 control plane is within the policy).
 */

export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
  /** The pre-release part without its dash (`rc.1` of v1.37.0-rc.1), if any. */
  pre?: string;
  /** Normalised text: v1.37.2 (a missing `v` is added). */
  text: string;
}

/** Minors clusterd installs and manages, oldest first. */
export const SUPPORTED_MINORS = ['1.34', '1.35', '1.36', '1.37'] as const;
export type SupportedMinor = (typeof SUPPORTED_MINORS)[number];

/** What a cluster, a machine and the agent get when no version is named. */
export const DEFAULT_KUBERNETES_VERSION = 'v1.37.2';

/** The largest minor distance of each rule above. */
export const CONTROL_PLANE_MAX_MINOR_STEP = 1;
export const APISERVER_MAX_MINOR_SKEW = 1;
export const KUBELET_MAX_MINORS_OLDER = 3;

const VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** The version, or undefined when the text is not vMAJOR.MINOR.PATCH[-pre][+build]. */
export function parseVersion(text: string | undefined): KubeVersion | undefined {
  const m = text === undefined ? null : VERSION.exec(text.trim());
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { major, minor, patch, ...(m[4] ? { pre: m[4] } : {}), text: `v${major}.${minor}.${patch}${m[4] ? `-${m[4]}` : ''}` };
}

/** The version, or an error naming the field and showing what a valid one looks like. */
export function mustParseVersion(text: string, field = 'version'): KubeVersion {
  const v = parseVersion(text);
  if (!v) throw new Error(`${field}: "${text}" is not a Kubernetes version such as ${DEFAULT_KUBERNETES_VERSION}`);
  return v;
}

const asVersion = (v: KubeVersion | string): KubeVersion => (typeof v === 'string' ? mustParseVersion(v) : v);

/** Pre-release identifiers as semver orders them: numeric ones numerically and below alphanumeric ones. */
function comparePre(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1; // a release is newer than any of its pre-releases
  if (b === undefined) return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i]; const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x); const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Negative, zero or positive as a is older than, the same as or newer than b (v1.30.9 < v1.30.10). */
export function compareVersions(a: KubeVersion | string, b: KubeVersion | string): number {
  const x = asVersion(a); const y = asVersion(b);
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch || comparePre(x.pre, y.pre);
}

/** The oldest of some version texts; unparsable ones are ignored. */
export function oldestVersion(versions: Iterable<string | undefined>): string | undefined {
  let best: KubeVersion | undefined;
  for (const t of versions) {
    const v = parseVersion(t);
    if (v && (!best || compareVersions(v, best) < 0)) best = v;
  }
  return best?.text;
}

/** The newest of some version texts; unparsable ones are ignored. */
export function newestVersion(versions: Iterable<string | undefined>): string | undefined {
  let best: KubeVersion | undefined;
  for (const t of versions) {
    const v = parseVersion(t);
    if (v && (!best || compareVersions(v, best) > 0)) best = v;
  }
  return best?.text;
}

/** "1.37" of v1.37.2; undefined for text that is not a version. */
export function minorOf(v: KubeVersion | string): string | undefined {
  const p = typeof v === 'string' ? parseVersion(v) : v;
  return p ? `${p.major}.${p.minor}` : undefined;
}

/** How many minors b is ahead of a (negative when behind); only meaningful within one major. */
export function minorDistance(a: KubeVersion | string, b: KubeVersion | string): number {
  const x = asVersion(a); const y = asVersion(b);
  if (x.major !== y.major) return (y.major - x.major) * 1000;
  return y.minor - x.minor;
}

export function isSupportedVersion(v: string): boolean {
  const m = minorOf(v);
  return m !== undefined && (SUPPORTED_MINORS as readonly string[]).includes(m);
}

/** Why a version cannot be installed, or undefined when it can. */
export function unsupportedVersionMessage(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return 'no Kubernetes version is set';
  const v = parseVersion(text);
  if (!v) return `"${text}" is not a Kubernetes version such as ${DEFAULT_KUBERNETES_VERSION}`;
  if (!isSupportedVersion(v.text)) return `Kubernetes ${v.text} is not supported (supported minors: ${SUPPORTED_MINORS.join(', ')})`;
  return undefined;
}

// ---- the skew policy -------------------------------------------------------------------------------------

export interface SkewProblem {
  reason: 'VersionUnsupported' | 'ControlPlaneMinorJumpTooLarge' | 'ControlPlaneDowngradeTooLarge' | 'ApiServerSkewTooLarge'
    | 'KubeletNewerThanControlPlane' | 'KubeletTooOld';
  message: string;
}

/**
 * A control-plane upgrade (or downgrade) from what its members run to target: at most one minor away from every
 * running member, as kubeadm's upgrade policy (EnforceVersionPolicies) and the HA API-server rule require.
 */
export function checkControlPlaneStep(running: readonly string[], target: string): SkewProblem | undefined {
  const t = parseVersion(target);
  if (!t || !isSupportedVersion(t.text)) return { reason: 'VersionUnsupported', message: unsupportedVersionMessage(target)! };
  for (const r of running) {
    const cur = parseVersion(r);
    if (!cur) continue;
    const d = minorDistance(cur, t);
    if (d > CONTROL_PLANE_MAX_MINOR_STEP) {
      return {
        reason: 'ControlPlaneMinorJumpTooLarge',
        message: `cannot move the control plane from ${cur.text} to ${t.text}: it upgrades one minor version at a time (to v${cur.major}.${cur.minor + 1}.x first)`,
      };
    }
    if (d < -CONTROL_PLANE_MAX_MINOR_STEP) {
      return {
        reason: 'ControlPlaneDowngradeTooLarge',
        message: `cannot move the control plane from ${cur.text} to ${t.text}: it downgrades one minor version at a time`,
      };
    }
  }
  return undefined;
}

/** HA kube-apiservers: the newest and the oldest are at most one minor apart. */
export function checkApiServerSkew(versions: readonly string[]): SkewProblem | undefined {
  const oldest = oldestVersion(versions);
  const newest = newestVersion(versions);
  if (!oldest || !newest) return undefined;
  if (minorDistance(oldest, newest) > APISERVER_MAX_MINOR_SKEW) {
    return { reason: 'ApiServerSkewTooLarge', message: `the API servers would run ${oldest} and ${newest}: HA API servers must stay within one minor version of each other` };
  }
  return undefined;
}

/** A kubelet (worker or control-plane node) at version kubelet under API servers at controlPlane. */
export function checkKubeletSkew(controlPlane: string, kubelet: string): SkewProblem | undefined {
  const cp = parseVersion(controlPlane);
  const k = parseVersion(kubelet);
  if (!cp || !k) return undefined;
  const d = minorDistance(cp, k);
  if (d > 0) {
    return {
      reason: 'KubeletNewerThanControlPlane',
      message: `a kubelet on ${k.text} cannot join a control plane on ${cp.text}: kubelets are never on a newer minor version than the API server; upgrade the control plane first`,
    };
  }
  if (d < -KUBELET_MAX_MINORS_OLDER) {
    return {
      reason: 'KubeletTooOld',
      message: `a kubelet on ${k.text} is more than ${KUBELET_MAX_MINORS_OLDER} minor versions older than the control plane on ${cp.text}`,
    };
  }
  return undefined;
}
