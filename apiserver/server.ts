/**
 * The HTTPS front: authentication, routing of kube-apiserver's URL space, authorization, and dispatch to
 * discovery, OpenAPI, REST and watch. node:https is used directly: the URL space is kube's, not a route table,
 * and watches need the raw response stream.
 */
import { fieldSelectorTerms } from './selectors.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logging.js';
import { authenticate, type AuthConfig, type UserInfo } from './auth.js';
import { apiVersions, group, groupList, KUBE_VERSION, resourceList } from './discovery.js';
import { negotiate, sendError, sendJson, sendRaw } from './http.js';
import { buildOpenApiV2, buildOpenApiV3Discovery, buildOpenApiV3GroupVersion } from './openapi/index.js';
import { encodeOpenApiV2, OPENAPI_V2_PROTOBUF } from './openapi/protobuf.js';
import type { RbacAuthorizer, RequestAttributes } from './rbac.js';
import type { Registry } from './registry.js';
import { Rest, type ResourceRequest, type RestContext } from './rest.js';
import { ApiError, badRequest, methodNotAllowed, statusBody } from './status.js';
import type { ResourceInfo } from './types.js';
import { serveAccessReview } from './review.js';
import { serveWatch, type WatchOptions } from './watch.js';

export interface HandlerConfig {
  ctx: RestContext;
  auth: AuthConfig;
  authorizer?: RbacAuthorizer;
  watch: WatchOptions;
  serverAddress: () => string;
  /** Requests other than watches that take longer get kube's 504 (its timeout filter); 0 = none. */
  requestTimeoutMs?: number;
  /** What /version reports; else KUBE_VERSION. */
  version?: typeof KUBE_VERSION;
}

const NOT_FOUND = (): ApiError => new ApiError(404, 'NotFound', 'the server could not find the requested resource');
const STATUS_SUBRESOURCE_NAMES = new Set(['status', 'finalize', 'scale', 'approval']);

interface Parsed {
  info: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPrefix: boolean;
}

function parseResourcePath(registry: Registry, group: string, version: string, rest: string[]): Parsed | undefined {
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !STATUS_SUBRESOURCE_NAMES.has(rest[2]!)) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length < 1 || rest.length > 3) return undefined;
  const info = registry.lookup(group, version, rest[0]!);
  if (!info) return undefined;
  if (namespace !== undefined && !info.namespaced) return undefined;
  return { info, namespace, name: rest[1], subresource: rest[2], watchPrefix };
}

export class Handler {
  private readonly rest: Rest;
  private openapiCache = new Map<string, { gen: number; text: string }>();
  private openapiProtobuf?: { gen: number; bytes: Buffer };

  constructor(private readonly cfg: HandlerConfig, private readonly logger: Logger) {
    this.rest = new Rest(cfg.ctx);
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.logger.isLevelEnabled('debug')) {
      const start = performance.now();
      // Paths and status only: query strings may carry tokens in some clients, bodies may carry secrets.
      res.on('finish', () => this.logger.debug({ method: req.method, path: (req.url ?? '').split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - start) }, 'request'));
    }
    this.limitDuration(req, res);
    this.dispatch(req, res).catch((e: unknown) => {
      if (e instanceof ApiError) {
        sendError(res, e);
        return;
      }
      this.logger.error({ err: e instanceof Error ? e.stack : String(e), method: req.method, path: (req.url ?? '').split('?')[0] }, 'internal error');
      sendError(res, new ApiError(500, 'InternalError', `Internal error occurred: ${e instanceof Error ? e.message : String(e)}`));
    });
  };

  /**
   * kube-apiserver's WithTimeoutForNonLongRunningRequests: a request (a body that never arrives, say) that has not
   * been answered within the request timeout gets a 504 and its connection is closed. Watches are long-running.
   */
  private limitDuration(req: IncomingMessage, res: ServerResponse): void {
    const ms = this.cfg.requestTimeoutMs ?? 0;
    const url = req.url ?? '';
    if (ms <= 0 || /[?&]watch=(true|1)(&|$)/.test(url) || /^\/apis?\/(?:[^/?]+\/)?[^/?]+\/watch\//.test(url)) return;
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      res.setHeader('Connection', 'close');
      sendError(res, new ApiError(504, 'Timeout', 'Timeout: request did not complete within the allotted timeout'));
      res.once('finish', () => req.destroy());
    }, Math.min(ms, 2 ** 31 - 1));
    res.once('close', () => clearTimeout(timer));
    res.once('finish', () => clearTimeout(timer));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    const query = new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1));
    const user = await authenticate(req, this.cfg.auth);
    if (!user) {
      req.resume();
      return sendJson(res, 401, statusBody(401, 'Unauthorized', 'Unauthorized'));
    }
    let segs: string[];
    try {
      segs = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
    } catch {
      throw badRequest(`malformed path ${JSON.stringify(path)}`);
    }
    const method = req.method ?? 'GET';
    if ((segs[0] === 'api' && segs.length >= 2 && segs[1] === 'v1' && segs.length > 2) || (segs[0] === 'apis' && segs.length > 3)) {
      return this.resource(req, res, user, segs, query, method);
    }
    await this.authorize(user, { verb: method.toLowerCase(), resourceRequest: false, path });
    req.resume();
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('');
    return this.nonResource(req, res, segs, path);
  }

  private async authorize(user: UserInfo, a: RequestAttributes): Promise<void> {
    if (!this.cfg.authorizer) return;
    const d = await this.cfg.authorizer.decide(user, a);
    if (d.allow) return;
    const what = a.resourceRequest
      ? `User "${user.name}" cannot ${a.verb} resource "${a.resource}${a.subresource ? '/' + a.subresource : ''}" in API group "${a.apiGroup ?? ''}"${a.namespace ? ` in the namespace "${a.namespace}"` : a.name === undefined ? ' at the cluster scope' : ''}`
      : `User "${user.name}" cannot ${a.verb} path "${a.path}"`;
    const subject = a.resourceRequest ? `${a.resource}${a.apiGroup ? '.' + a.apiGroup : ''}${a.name ? ` "${a.name}"` : ''} is forbidden` : 'forbidden';
    throw new ApiError(403, 'Forbidden', `${subject}: ${what}${d.reason ? `: ${d.reason}` : ''}`, a.resourceRequest ? { name: a.name, group: a.apiGroup, kind: a.resource } : undefined);
  }

  private cachedDoc(key: string, build: () => Record<string, unknown> | undefined): string | undefined {
    const gen = this.cfg.ctx.registry.generation;
    const hit = this.openapiCache.get(key);
    if (hit && hit.gen === gen) return hit.text;
    const doc = build();
    if (!doc) return undefined;
    const text = JSON.stringify(doc);
    this.openapiCache.set(key, { gen, text });
    return text;
  }

  private nonResource(req: IncomingMessage, res: ServerResponse, segs: string[], path: string): void {
    const registry = this.cfg.ctx.registry;
    const [a, b, c, d] = segs;
    if (a === 'healthz' || a === 'livez' || a === 'readyz') return sendRaw(res, 200, 'ok', 'text/plain; charset=utf-8');
    if (a === 'version' && segs.length === 1) return sendJson(res, 200, this.cfg.version ?? KUBE_VERSION);
    if (a === 'api' && segs.length === 1) return sendJson(res, 200, apiVersions(this.cfg.serverAddress()));
    if (a === 'api' && b === 'v1' && segs.length === 2) return sendJson(res, 200, resourceList(registry, '', 'v1'));
    if (a === 'apis' && segs.length === 1) return sendJson(res, 200, groupList(registry));
    if (a === 'apis' && segs.length === 2) {
      const g = group(registry, b!);
      if (g) return sendJson(res, 200, g);
    }
    if (a === 'apis' && segs.length === 3) {
      const l = resourceList(registry, b!, c!);
      if (l) return sendJson(res, 200, l);
    }
    if (a === 'openapi' && b === 'v2' && segs.length === 2) {
      const accept = req.headers.accept ?? '';
      if (accept.includes(OPENAPI_V2_PROTOBUF)) {
        const gen = registry.generation;
        if (this.openapiProtobuf?.gen !== gen) this.openapiProtobuf = { gen, bytes: encodeOpenApiV2(buildOpenApiV2(registry.all())) };
        // As kube-openapi does: the protobuf media type has an '@', which Go's mime parser refuses in a Content-Type.
        return sendRaw(res, 200, this.openapiProtobuf.bytes, 'application/octet-stream');
      }
      if (accept && !/application\/json|\*\/\*/.test(accept)) throw new ApiError(406, 'NotAcceptable', `only application/json and ${OPENAPI_V2_PROTOBUF} are served for /openapi/v2`);
      return sendRaw(res, 200, this.cachedDoc('v2', () => buildOpenApiV2(registry.all()))!);
    }
    if (a === 'openapi' && b === 'v3' && segs.length === 2) return sendRaw(res, 200, this.cachedDoc('v3', () => buildOpenApiV3Discovery(registry.all()))!);
    if (a === 'openapi' && b === 'v3' && c) {
      const gvPath = segs.slice(2).join('/');
      const text = this.cachedDoc(`v3:${gvPath}`, () => buildOpenApiV3GroupVersion(registry.all(), gvPath));
      if (text) return sendRaw(res, 200, text);
    }
    void d;
    void path;
    throw NOT_FOUND();
  }

  private async resource(req: IncomingMessage, res: ServerResponse, user: UserInfo, segs: string[], query: URLSearchParams, method: string): Promise<void> {
    const core = segs[0] === 'api';
    const groupName = core ? '' : segs[1]!;
    const version = core ? 'v1' : segs[2]!;
    const parsed = parseResourcePath(this.cfg.ctx.registry, groupName, version, segs.slice(core ? 2 : 3));
    if (!parsed) {
      req.resume();
      throw NOT_FOUND();
    }
    const { info, namespace, name, subresource } = parsed;
    // Namespaced resources are only listed (or watched) across namespaces; everything else names one.
    if (info.namespaced && namespace === undefined && (name !== undefined || method !== 'GET')) {
      req.resume();
      throw NOT_FOUND();
    }
    if (parsed.watchPrefix && method !== 'GET') {
      req.resume();
      throw methodNotAllowed(`${method} on a watch`);
    }
    const watch = parsed.watchPrefix || query.get('watch') === 'true' || query.get('watch') === '1';
    let verb: string;
    switch (method) {
      case 'GET': verb = watch ? 'watch' : name ? 'get' : 'list'; break;
      case 'POST': verb = 'create'; break;
      case 'PUT': verb = 'update'; break;
      case 'PATCH': verb = 'patch'; break;
      case 'DELETE': verb = name ? 'delete' : 'deletecollection'; break;
      default:
        req.resume();
        throw methodNotAllowed(method);
    }
    // As kube's RequestInfo: a list or watch pinned by metadata.name=<x> is authorized as a request for <x>.
    const fieldSelector = verb === 'list' || verb === 'watch' ? fieldSelectorTerms(query.get('fieldSelector') ?? undefined) : undefined;
    const authzName = name ?? fieldSelector?.find((t) => t.field === 'metadata.name' && t.op === '=')?.value;
    await this.authorize(user, { verb, resourceRequest: true, apiGroup: info.group, resource: info.plural, subresource, namespace, name: authzName, path: segs.join('/'), fieldSelector });
    const r: ResourceRequest = { req, res, info, namespace, name, subresource, query, user };
    if (!name && (method === 'PUT' || method === 'PATCH')) {
      req.resume();
      throw methodNotAllowed(`${method} on a collection`);
    }
    if (name && method === 'POST') {
      req.resume();
      throw methodNotAllowed('POST on a named object');
    }
    const neg = negotiate(req.headers.accept);
    if (!neg) {
      req.resume();
      throw new ApiError(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io');
    }
    if (info.group === 'authorization.k8s.io') {
      if (verb !== 'create') {
        req.resume();
        throw methodNotAllowed(`${verb} on ${info.plural}`);
      }
      return serveAccessReview(r, user, this.cfg.authorizer);
    }
    switch (verb) {
      case 'watch': req.resume(); return serveWatch(this.cfg.ctx, r, neg, this.cfg.watch);
      case 'get': req.resume(); return this.rest.get(r, neg);
      case 'list': req.resume(); return this.rest.list(r, neg);
      case 'create': return this.rest.create(r);
      case 'update': return this.rest.update(r);
      case 'patch': return this.rest.patch(r);
      case 'delete': return this.rest.delete(r);
      default: return this.rest.deleteCollection(r);
    }
  }
}
