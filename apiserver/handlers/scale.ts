/** The scale subresource as autoscaling/v1 Scale, read through the paths a CRD's scale subresource names. */
import { getOwn, setOwn } from '../../lib/safe-json.js';
import { formatLabelSelector } from '../selectors.js';
import { notFound } from '../status.js';
import type { KObject } from '../storage/index.js';
import type { ResourceInfo } from '../types.js';

export function scalePaths(info: ResourceInfo): { spec: string[]; status: string[]; selector?: string[] } {
  const s = info.subresources.scale;
  if (!s) throw notFound(info.plural, info.group, 'scale');
  const split = (p: string): string[] => p.replace(/^\./, '').split('.');
  return { spec: split(s.specReplicasPath), status: split(s.statusReplicasPath), selector: s.labelSelectorPath ? split(s.labelSelectorPath) : undefined };
}

export function toScale(info: ResourceInfo, obj: KObject): Record<string, unknown> {
  const p = scalePaths(info);
  const m = obj.metadata;
  const status: Record<string, unknown> = { replicas: Number(getPath(obj, p.status) ?? 0) };
  if (p.selector) {
    const sel = formatLabelSelector(getPath(obj, p.selector));
    if (sel) status.selector = sel;
  }
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: Number(getPath(obj, p.spec) ?? 0) },
    status,
  };
}

function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = getOwn(cur, seg);
  }
  return cur;
}

export function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const seg of path.slice(0, -1)) {
    const child = getOwn(cur, seg);
    if (!child || typeof child !== 'object') setOwn(cur, seg, {});
    cur = getOwn(cur, seg) as Record<string, unknown>;
  }
  setOwn(cur, path[path.length - 1]!, value);
}
