/**
 * A dynamic client for any apiVersion/kind (client-go's dynamic client), over the pooled RestClient with the
 * credentials of a @kubernetes/client-node KubeConfig. It maps kinds to resources through API discovery (so CRDs
 * work as soon as they are served), sends status writes to the /status subresource, and turns 404/409 into
 * NotFoundError/ConflictError.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { NoKindMatchError } from './errors.js';
import { RestClient } from './rest-client.js';
import { groupOf, type GroupVersionKind, type KubeList, type KubeObject } from '../lib/kube.js';

export interface ResourceMapping {
  apiVersion: string;
  kind: string;
  /** The plural resource name, as in the URL. */
  resource: string;
  namespaced: boolean;
}

export interface ObjectKey {
  namespace?: string;
  name: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions {
  type?: PatchType;
  fieldManager?: string;
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  /** Delete only if the object still has this UID / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
}

interface APIResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

/** Something that names one object: a full object, or its apiVersion, kind and metadata name/namespace. */
export interface ObjectRef {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string };
}

export interface ClientOptions {
  userAgent?: string;
  /** Default fieldManager for writes (server-side field ownership). */
  fieldManager?: string;
  /** Per-request timeout for non-watch requests. */
  timeoutMs?: number;
}

export class Client {
  /** The path-level transport, for requests the dynamic verbs do not cover (eviction, raw paths, watches). */
  readonly rest: RestClient;
  private readonly discovery = new Map<string, Promise<Map<string, ResourceMapping>>>();

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly opts: ClientOptions = {},
  ) {
    this.rest = new RestClient(kubeConfig, { userAgent: opts.userAgent ?? 'clusterd', timeoutMs: opts.timeoutMs, maxSockets: 32 });
  }

  /** The resource for an apiVersion/kind, from discovery; looked up again once on a miss (a CRD just installed). */
  async resourceFor(gvk: GroupVersionKind): Promise<ResourceMapping> {
    let found = (await this.discover(gvk.apiVersion, false)).get(gvk.kind);
    if (!found) found = (await this.discover(gvk.apiVersion, true)).get(gvk.kind);
    if (!found) throw new NoKindMatchError(gvk.apiVersion, gvk.kind);
    return found;
  }

  /** The URL path of a collection (name undefined) or of one object. */
  async pathFor(gvk: GroupVersionKind, namespace: string | undefined, name?: string, subresource?: string): Promise<string> {
    const m = await this.resourceFor(gvk);
    const base = gvk.apiVersion.includes('/') ? `/apis/${gvk.apiVersion}` : `/api/${gvk.apiVersion}`;
    let p = base;
    if (m.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${m.resource}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  async get<T extends KubeObject = KubeObject>(gvk: GroupVersionKind, key: ObjectKey): Promise<T> {
    const path = await this.pathFor(gvk, key.namespace, requireName(key.name));
    return this.request<T>('GET', path, undefined, undefined, describe(gvk, key));
  }

  async list<T extends KubeObject = KubeObject>(gvk: GroupVersionKind, opts: ListOptions = {}): Promise<KubeList<T>> {
    const path = await this.pathFor(gvk, opts.namespace);
    const q = new URLSearchParams();
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
    if (opts.limit) q.set('limit', String(opts.limit));
    if (opts.continue) q.set('continue', opts.continue);
    if (opts.resourceVersion !== undefined) q.set('resourceVersion', opts.resourceVersion);
    const qs = q.toString();
    const list = await this.request<KubeList<T>>('GET', qs ? `${path}?${qs}` : path, undefined, undefined, `list ${gvk.kind}`);
    // Lists carry the kind only at the top; put it back on each item, as client-go's unstructured client does.
    for (const item of list.items ?? []) {
      item.apiVersion ??= gvk.apiVersion;
      item.kind ??= gvk.kind;
    }
    list.items ??= [];
    return list;
  }

  async create<T extends KubeObject>(obj: T, opts: { dryRun?: boolean } = {}): Promise<T> {
    const gvk = gvkOf(obj);
    const path = await this.pathFor(gvk, obj.metadata.namespace);
    return this.request<T>('POST', path + this.writeQuery(opts.dryRun), obj, 'application/json', describe(gvk, obj.metadata));
  }

  /** PUT: replaces the object; its metadata.resourceVersion makes this an optimistic-concurrency write. */
  async update<T extends KubeObject>(obj: T): Promise<T> {
    const gvk = gvkOf(obj);
    const path = await this.pathFor(gvk, obj.metadata.namespace, requireName(obj.metadata.name));
    return this.request<T>('PUT', path + this.writeQuery(), obj, 'application/json', describe(gvk, obj.metadata));
  }

  /** PUT to /status: only the status is taken from obj. */
  async updateStatus<T extends KubeObject>(obj: T): Promise<T> {
    const gvk = gvkOf(obj);
    const path = await this.pathFor(gvk, obj.metadata.namespace, requireName(obj.metadata.name), 'status');
    return this.request<T>('PUT', path + this.writeQuery(), obj, 'application/json', describe(gvk, obj.metadata) + ' status');
  }

  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, opts: PatchOptions = {}): Promise<T> {
    return this.doPatch<T>(ref, patch, opts, undefined);
  }

  async patchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, opts: PatchOptions = {}): Promise<T> {
    return this.doPatch<T>(ref, patch, opts, 'status');
  }

  async delete(ref: ObjectRef, opts: DeleteOptions = {}): Promise<void> {
    const gvk = gvkOf(ref);
    const path = await this.pathFor(gvk, ref.metadata.namespace, requireName(ref.metadata.name));
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    await this.request('DELETE', path, body, 'application/json', describe(gvk, ref.metadata));
  }

  /** One HTTP request to the API server; JSON in, JSON out, errors as ApiError subclasses. */
  async request<T>(method: string, path: string, body?: unknown, contentType?: string, what = `${method} ${path}`): Promise<T> {
    return ((await this.rest.request<T>(method, path, body, contentType, what)) ?? {}) as T;
  }

  /** Forgets discovery results, e.g. after installing CRDs. */
  invalidateDiscovery(): void {
    this.discovery.clear();
  }

  close(): void {
    this.rest.close();
  }

  private async doPatch<T>(ref: ObjectRef, patch: unknown, opts: PatchOptions, sub: string | undefined): Promise<T> {
    const gvk = gvkOf(ref);
    const path = await this.pathFor(gvk, ref.metadata.namespace, requireName(ref.metadata.name), sub);
    const type = opts.type ?? 'merge';
    const q = new URLSearchParams();
    const fm = opts.fieldManager ?? this.opts.fieldManager;
    if (fm) q.set('fieldManager', fm);
    if (opts.force) q.set('force', 'true');
    const qs = q.toString();
    return this.request<T>('PATCH', qs ? `${path}?${qs}` : path, patch, PATCH_CONTENT_TYPES[type], describe(gvk, ref.metadata) + (sub ? ` ${sub}` : ''));
  }

  private writeQuery(dryRun?: boolean): string {
    const q = new URLSearchParams();
    if (this.opts.fieldManager) q.set('fieldManager', this.opts.fieldManager);
    if (dryRun) q.set('dryRun', 'All');
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  private discover(apiVersion: string, refresh: boolean): Promise<Map<string, ResourceMapping>> {
    let p = this.discovery.get(apiVersion);
    if (!p || refresh) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      p = this.request<APIResourceList>('GET', path, undefined, undefined, `discovery of ${apiVersion}`)
        .then((list) => {
          const m = new Map<string, ResourceMapping>();
          for (const r of list.resources ?? []) {
            if (r.name.includes('/')) continue; // subresources
            m.set(r.kind, { apiVersion, kind: r.kind, resource: r.name, namespaced: r.namespaced });
          }
          return m;
        })
        .catch((err: unknown) => {
          this.discovery.delete(apiVersion);
          if (err instanceof Error && 'code' in err && (err as { code: unknown }).code === 404) return new Map<string, ResourceMapping>();
          throw err;
        });
      this.discovery.set(apiVersion, p);
    }
    return p;
  }
}

function gvkOf(ref: ObjectRef): GroupVersionKind {
  if (!ref.apiVersion) throw new Error('object has no apiVersion');
  if (!ref.kind) throw new Error('object has no kind');
  return { apiVersion: ref.apiVersion, kind: ref.kind };
}

function requireName(name: string | undefined): string {
  if (!name) throw new Error('metadata.name: Required value');
  return name;
}

function describe(gvk: GroupVersionKind, key: { namespace?: string; name?: string }): string {
  const group = groupOf(gvk.apiVersion);
  const kind = group ? `${gvk.kind}.${group}` : gvk.kind;
  return `${kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name ?? ''}`;
}
