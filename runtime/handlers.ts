/** Mappings from an object that changed to the Requests it should trigger (controller-runtime's handler package). */
import type { MapFunc } from './controller.js';
import { groupOf, type GroupVersionKind } from './types.js';

/** The object itself (For). */
export const enqueueForObject: MapFunc = (obj) => [{ namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' }];

/**
 * The owner of the given kind (Owns): by default only the controlling owner reference counts. The version
 * is ignored, as the owner may be stored under another version than the reference names.
 */
export function enqueueForOwner(owner: GroupVersionKind, opts: { onlyController?: boolean } = {}): MapFunc {
  const group = groupOf(owner.apiVersion);
  const onlyController = opts.onlyController ?? true;
  return (obj) =>
    (obj.metadata.ownerReferences ?? [])
      .filter((r) => r.kind === owner.kind && groupOf(r.apiVersion) === group && (!onlyController || r.controller === true))
      .map((r) => ({ namespace: obj.metadata.namespace ?? '', name: r.name }));
}

/** The object named by a label's value, in the same namespace (e.g. `cluster.x-k8s.io/cluster-name`). */
export function enqueueByLabel(labelKey: string): MapFunc {
  return (obj) => {
    const v = obj.metadata.labels?.[labelKey];
    return v ? [{ namespace: obj.metadata.namespace ?? '', name: v }] : [];
  };
}

/** The object named by a string field (dotted path, e.g. `spec.clusterName`), in the same namespace. */
export function enqueueByField(path: string): MapFunc {
  const parts = path.split('.');
  return (obj) => {
    let cur: unknown = obj;
    for (const p of parts) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
    return typeof cur === 'string' && cur !== '' ? [{ namespace: obj.metadata.namespace ?? '', name: cur }] : [];
  };
}
