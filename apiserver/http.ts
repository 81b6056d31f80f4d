/** Request bodies, content negotiation and responses: the HTTP edges of the REST layer. */
import { checkDecoded } from '../lib/safe-json.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from './protobuf/decode.js';
import { ApiError, badRequest, unsupportedMediaType } from './status.js';

/** kube-apiserver's limit for request bodies (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    // A connection closed (or timed out by the server) before the body ended: the request is over.
    req.on('close', () => {
      if (!ended && !failed) {
        failed = true;
        reject(badRequest('the request body ended before it was complete'));
      }
    });
    req.on('error', (e) => {
      if (!failed) {
        failed = true;
        reject(e);
      }
    });
  });
}

function tooLarge(): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);
}

/** The media type of a Content-Type header, lower-cased and without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

const OBJECT_TYPES = ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE];

function parseText(text: string, yamlAllowed: boolean): unknown {
  if (yamlAllowed) {
    let v: unknown;
    try {
      v = yaml.load(text, { schema: yaml.JSON_SCHEMA });
    } catch (e) {
      throw badRequest(`error converting YAML to JSON: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
    checkDecodedBody(v, 'error converting YAML to JSON: ');
    // Aliases are shared objects in js-yaml; the walkers mutate in place, so each use gets its own copy.
    return v !== null && typeof v === 'object' ? JSON.parse(JSON.stringify(v)) : v;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${e instanceof Error ? e.message : String(e)}`);
  }
  checkDecodedBody(v, "couldn't get version/kind; json parse error: ");
  return v;
}

/**
 * The limits kube-apiserver's decoders enforce, applied to what was decoded: go-yaml's alias budget, the nesting
 * depth, and the request size limit once YAML aliases are expanded (a 335-byte body must not become 200 MB).
 */
function checkDecodedBody(v: unknown, prefix: string): void {
  const problem = checkDecoded(v, { maxBytes: MAX_BODY_BYTES });
  if (!problem) return;
  if (problem.kind === 'size') throw tooLarge();
  throw badRequest(prefix + problem.message);
}

/**
 * The same limits for a body whatever decoded it (a protobuf body as well as JSON or YAML): the REST layer passes
 * every decoded create or update body through here.
 */
export function withinDecodeLimits<T>(v: T): T {
  checkDecodedBody(v, 'the request body is refused: ');
  return v;
}

function asObject(v: unknown): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('the request body must be a JSON object (a Kubernetes resource)');
  return v as Record<string, unknown>;
}

/** A create or update body: JSON or YAML, one object. */
export function parseObjectBody(contentType: string | undefined, body: Buffer): Record<string, unknown> {
  // No Content-Type means JSON, as kube-apiserver takes its first serializer (kubectl 1.20's create sends none).
  const mt = contentType ? mediaType(contentType) : 'application/json';
  if (!OBJECT_TYPES.includes(mt)) throw unsupportedMediaType(mt, OBJECT_TYPES);
  if (body.length === 0) throw badRequest('the request body is empty; expected a Kubernetes resource');
  if (mt === PROTOBUF_MEDIA_TYPE) return decodeProtobufObject(body);
  return asObject(parseText(body.toString('utf8'), mt === 'application/yaml'));
}

export type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_TYPES: Record<string, PatchKind> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export function parsePatchBody(kind: PatchKind, body: Buffer): unknown {
  if (body.length === 0) throw badRequest('the patch body is empty');
  const v = parseText(body.toString('utf8'), kind === 'apply');
  if (kind === 'json') {
    if (!Array.isArray(v)) throw badRequest('json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
    return v;
  }
  return asObject(v);
}

export interface Negotiated {
  table: boolean;
  partialMetadata: boolean;
}

/** What the client accepts: plain JSON (also for protobuf-first clients that list JSON), Table, or metadata only. */
export function negotiate(accept: string | undefined): Negotiated | undefined {
  if (!accept) return { table: false, partialMetadata: false };
  let json = false;
  let table = false;
  let partialMetadata = false;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const p = new Map(params.map((x) => x.split('=') as [string, string]));
    if (type === 'application/json' || type === 'application/yaml' || type === '*/*' || type === 'application/*') {
      const as = p.get('as');
      if (!as) json = true;
      else if (as === 'Table' && p.get('g') === 'meta.k8s.io') table = true;
      else if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && p.get('g') === 'meta.k8s.io') partialMetadata = true;
    }
  }
  if (table) return { table: true, partialMetadata: false };
  if (partialMetadata) return { table: false, partialMetadata: true };
  return json ? { table: false, partialMetadata: false } : undefined;
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  sendRaw(res, code, typeof body === 'string' ? body : JSON.stringify(body), contentType);
}

export function sendRaw(res: ServerResponse, code: number, text: string | Buffer, contentType = 'application/json'): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendError(res: ServerResponse, e: ApiError): void {
  sendJson(res, e.code, e.toStatus());
}
