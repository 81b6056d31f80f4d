/**
 * The set of served resources: the built-ins plus whatever the stored CustomResourceDefinitions define.
 * It follows the CRDs through the storage change feed, so a CRD written through any server sharing the
 * store is served by all of them at once.
 */
import { BUILTIN_RESOURCES, CRD_RESOURCE } from './builtins.js';
import type { KObject, Storage } from './storage/index.js';
import type { JSONSchemaProps, PrinterColumn, ResourceInfo, ScaleSubresource } from './types.js';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: { status?: object; scale?: ScaleSubresource };
  additionalPrinterColumns?: PrinterColumn[];
}

export interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { kind: string; listKind?: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
  versions: CrdVersion[];
}

const CR_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

/** The served ResourceInfos of one CRD, one per served version. */
export function crdResources(crd: KObject): ResourceInfo[] {
  const spec = crd.spec as CrdSpec | undefined;
  if (!spec?.names || !Array.isArray(spec.versions)) return [];
  return spec.versions.filter((v) => v.served !== false).map((v) => ({
    group: spec.group,
    version: v.name,
    kind: spec.names.kind,
    listKind: spec.names.listKind ?? spec.names.kind + 'List',
    plural: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    namespaced: spec.scope !== 'Cluster',
    shortNames: spec.names.shortNames ?? [],
    categories: spec.names.categories ?? [],
    verbs: CR_VERBS,
    subresources: { ...(v.subresources?.status ? { status: true } : {}), ...(v.subresources?.scale ? { scale: v.subresources.scale } : {}) },
    schema: v.schema?.openAPIV3Schema,
    printerColumns: v.additionalPrinterColumns,
    custom: true,
  }));
}

/** Where a resource's objects are stored; events.k8s.io Events share the core Events' store. */
export const storageKeyOf = (r: { group: string; plural: string }): string =>
  r.group === 'events.k8s.io' && r.plural === 'events' ? '/events' : `${r.group}/${r.plural}`;

export class Registry {
  private byGvr = new Map<string, ResourceInfo>();
  private crdResourcesByName = new Map<string, ResourceInfo[]>();
  private readonly unsubscribe: () => void;
  /** Bumped on every change, so discovery and OpenAPI caches know when to rebuild. */
  generation = 0;

  constructor(storage: Storage, initialCrds: KObject[]) {
    for (const crd of initialCrds) this.crdResourcesByName.set(crd.metadata.name!, crdResources(crd));
    this.rebuild();
    this.unsubscribe = storage.subscribe((ev) => {
      if (ev.key.resource !== CRD_RESOURCE) return;
      if (ev.type === 'DELETED') this.crdResourcesByName.delete(ev.key.name);
      else this.crdResourcesByName.set(ev.key.name, crdResources(ev.object));
      this.rebuild();
    });
  }

  private rebuild(): void {
    const m = new Map<string, ResourceInfo>();
    for (const r of BUILTIN_RESOURCES) m.set(`${r.group}/${r.version}/${r.plural}`, r);
    for (const list of this.crdResourcesByName.values()) {
      for (const r of list) {
        const k = `${r.group}/${r.version}/${r.plural}`;
        if (!m.has(k)) m.set(k, r);
      }
    }
    this.byGvr = m;
    this.generation++;
  }

  lookup(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.byGvr.get(`${group}/${version}/${plural}`);
  }

  all(): ResourceInfo[] {
    return [...this.byGvr.values()];
  }

  /** Any served version of a group/kind, preferring the first one listed (the CRD's order). */
  byKind(group: string, kind: string): ResourceInfo | undefined {
    for (const r of this.byGvr.values()) if (r.group === group && r.kind === kind) return r;
    return undefined;
  }

  /** group → versions, in served order. */
  groups(): Map<string, string[]> {
    const g = new Map<string, string[]>();
    for (const r of this.byGvr.values()) {
      const vs = g.get(r.group) ?? [];
      if (!vs.includes(r.version)) vs.push(r.version);
      g.set(r.group, vs);
    }
    return g;
  }

  close(): void {
    this.unsubscribe();
  }
}
