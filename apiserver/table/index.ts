/**
 * meta.k8s.io/v1 Table rendering for `kubectl get` (Accept: application/json;as=Table;g=meta.k8s.io;v=v1),
 * with additionalPrinterColumns evaluated as kube-apiserver evaluates their JSONPath.
 * PLACEHOLDER: the real implementation replaces this body.
 */
import type { ResourceInfo } from '../types.js';

export function toTable(resource: ResourceInfo, objects: Record<string, unknown>[], listMeta: Record<string, unknown>): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: [{ name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 }],
    rows: objects.map((o) => ({ cells: [((o.metadata ?? {}) as { name?: string }).name ?? ''], object: o })),
    ...(resource.kind ? {} : {}),
  };
}
