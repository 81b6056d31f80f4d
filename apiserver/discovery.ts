/** Legacy discovery documents (/api, /apis, /apis/<group>[/<version>]) and /version. */
import { BUILTIN_GROUP_ORDER, EXTRA_SUBRESOURCES } from './builtins.js';
import { storageKeyOf, type Registry } from './registry.js';
import type { ResourceInfo } from './types.js';

/**
 * What the embedded API server reports at /version: the Kubernetes minor whose kubectl it is tested with (the
 * default version), so that kubectl 1.36-1.37 prints no version-skew warning against it.
 */
export const KUBE_VERSION = { major: '1', minor: '37', gitVersion: 'v1.37.0-clusterd', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-08-26T00:00:00Z', goVersion: 'go1.26.0', compiler: 'gc', platform: 'linux/amd64' };

/** /version for a server that stands in for kube-apiserver at gitVersion (v1.37.2): major and minor follow from it. */
export function versionInfo(gitVersion?: string): typeof KUBE_VERSION {
  const m = gitVersion ? /^v(\d+)\.(\d+)\./.exec(gitVersion) : null;
  return m && gitVersion ? { ...KUBE_VERSION, major: m[1]!, minor: m[2]!, gitVersion } : KUBE_VERSION;
}

/** Kubernetes version priority: GA > beta > alpha, then by number, then anything else alphabetically. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number, string] => {
    const m = v.match(/^v(\d+)(?:(alpha|beta)(\d+))?$/);
    if (!m) return [0, 0, 0, v];
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), Number(m[3] ?? 0), v];
  };
  const [ka, ma, na, sa] = parse(a);
  const [kb, mb, nb, sb] = parse(b);
  if (ka !== kb) return kb - ka;
  if (ma !== mb) return mb - ma;
  if (na !== nb) return nb - na;
  return sa.localeCompare(sb);
}

function resourceEntries(resources: ResourceInfo[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const r of resources) {
    out.push({
      name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    if (r.subresources.status) out.push({ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
    if (r.subresources.scale) out.push({ name: `${r.plural}/scale`, singularName: '', namespaced: r.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    for (const sub of EXTRA_SUBRESOURCES[storageKeyOf(r)] ?? []) out.push({ name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['update'] });
  }
  return out;
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function resourceList(registry: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const rs = registry.all().filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: resourceEntries(rs) };
}

function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const sorted = [...versions].sort(compareVersions);
  const vs = sorted.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function groupList(registry: Registry): Record<string, unknown> {
  const groups = registry.groups();
  groups.delete('');
  const names = [...groups.keys()].sort((a, b) => {
    const ia = BUILTIN_GROUP_ORDER.indexOf(a);
    const ib = BUILTIN_GROUP_ORDER.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 1000 : ia) - (ib < 0 ? 1000 : ib);
    return a.localeCompare(b);
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: names.map((n) => apiGroup(n, groups.get(n)!)) };
}

export function group(registry: Registry, name: string): Record<string, unknown> | undefined {
  const versions = registry.groups().get(name);
  if (!versions || !name) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(name, versions) };
}
