/**
 * meta.k8s.io/v1 Table rendering for `kubectl get` (Accept: application/json;as=Table;g=meta.k8s.io;v=v1),
 * with additionalPrinterColumns evaluated as kube-apiserver evaluates their JSONPath.
 */
import { display } from '../../lib/safe-json.js';
import type { PrinterColumn, ResourceInfo } from '../types.js';
import { AGE_DESC, BUILTIN_PRINTERS, NAME_COLUMN, type ColumnDef } from './builtin-columns.js';
import { evaluateJsonPath } from './jsonpath.js';
import { ageOf } from './age.js';

export { evaluateJsonPath } from './jsonpath.js';
export { humanDuration, ageOf } from './age.js';

type Obj = Record<string, unknown>;

export interface TableOptions {
  /** The `includeObject` query parameter: None, Metadata (the default, PartialObjectMetadata) or Object. */
  includeObject?: 'None' | 'Metadata' | 'Object';
  /** For tests: the instant ages are computed against. */
  now?: number;
}

/** A CRD without additionalPrinterColumns shows its age, as apiextensions-apiserver does. */
const DEFAULT_CRD_COLUMNS: PrinterColumn[] = [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: AGE_DESC }];

function cellFor(type: PrinterColumn['type'], value: unknown, now: number): unknown {
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      // apiextensions' table convertor renders dates as ages server side (ConvertToHumanReadableDateType).
      if (typeof value !== 'string') return null;
      return Number.isNaN(Date.parse(value)) ? '<invalid>' : ageOf(value, now);
    default:
      if (value === null || value === undefined) return null;
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

function customColumns(resource: ResourceInfo, now: number): { defs: ColumnDef[]; cells: (o: Obj) => unknown[] } {
  const cols = resource.printerColumns?.length ? resource.printerColumns : DEFAULT_CRD_COLUMNS;
  const defs: ColumnDef[] = [NAME_COLUMN, ...cols.map((c) => ({
    name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0,
  }))];
  return {
    defs,
    cells: (o) => [
      display(((o.metadata ?? {}) as Obj).name ?? ''),
      ...cols.map((c) => {
        const results = evaluateJsonPath(c.jsonPath, o);
        // Only the first result counts, as in kube's table convertor.
        return results instanceof Error || results.length === 0 ? null : cellFor(c.type, results[0], now);
      }),
    ],
  };
}

function rowObject(o: Obj, include: TableOptions['includeObject']): Obj | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} };
}

export function toTable(resource: ResourceInfo, objects: Record<string, unknown>[], listMeta: Record<string, unknown>, options: TableOptions = {}): Record<string, unknown> {
  const now = options.now ?? Date.now();
  const builtin = resource.custom ? undefined : BUILTIN_PRINTERS[`${resource.group}/${resource.kind}`];
  let defs: ColumnDef[];
  let cells: (o: Obj) => unknown[];
  if (builtin) {
    defs = builtin.columns;
    cells = (o) => builtin.cells(o, now);
  } else if (resource.custom || resource.printerColumns?.length) {
    ({ defs, cells } = customColumns(resource, now));
  } else {
    defs = BUILTIN_PRINTERS['rbac.authorization.k8s.io/Role'].columns;
    cells = (o) => BUILTIN_PRINTERS['rbac.authorization.k8s.io/Role'].cells(o, now);
  }
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: defs,
    rows: objects.map((o) => {
      const object = rowObject(o, options.includeObject);
      return object ? { cells: cells(o), object } : { cells: cells(o) };
    }),
  };
}
