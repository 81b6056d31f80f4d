/**
 * Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), decoded to the JSON form
 * the rest of the API server works with. client-go's generated clients for built-in kinds prefer protobuf, so
 * kubectl 1.35 and later send it for `create configmap`, `auth can-i`, `certificate approve` and the like.
 *
 * The wire format is kube's envelope: the magic bytes "k8s\0", then a runtime.Unknown whose typeMeta names the
 * kind and whose raw bytes are that kind's message. Message layouts come from schema.json, generated from the
 * k8s.io/api and k8s.io/apimachinery modules' generated.proto (generate.ts). Responses stay JSON: every client
 * that sends protobuf also accepts JSON.
 *
 * The JSON form follows the Go types' JSON encoding: a few apimachinery types marshal to a scalar (Time,
 * MicroTime, Quantity, IntOrString, Duration) or to embedded JSON (RawExtension, FieldsV1), and Go's zero
 * values, which protobuf carries but JSON omits, are left out (empty strings, the zero time).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { repoRoot } from '../../lib/paths.js';
import { ApiError } from '../status.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

let root: protobuf.Root | undefined;
function types(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(JSON.parse(readFileSync(join(repoRoot(), 'apiserver', 'protobuf', 'schema.json'), 'utf8')) as protobuf.INamespace);
  return root;
}

const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

/** The proto package of an API group version: k8s.io/api's folder is the group's first label ("" is core). */
function packageOf(apiVersion: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'meta.k8s.io') return META;
  return `k8s.io.api.${group ? group.split('.')[0] : 'core'}.${version}`;
}

function lookup(name: string): protobuf.Type | undefined {
  try {
    return types().lookupType(name);
  } catch {
    return undefined;
  }
}

/** Decodes an enveloped protobuf object into its JSON form, apiVersion and kind included. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  let unknown: { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array };
  let message: protobuf.Message;
  try {
    unknown = types().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown').decode(body.subarray(MAGIC.length)) as typeof unknown;
  } catch (err) {
    throw badRequest(`unable to decode the protobuf envelope: ${(err as Error).message}`);
  }
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  if (!kind) throw badRequest('Object \'Kind\' is missing in protobuf envelope');
  // DeleteOptions and friends travel under the group of the request; they live in meta/v1.
  const type = lookup(`${packageOf(apiVersion)}.${kind}`) ?? lookup(`${META}.${kind}`);
  if (!type) throw new ApiError(415, 'UnsupportedMediaType', `no kind "${kind}" is registered for version "${apiVersion}" in protobuf; send it as application/json`);
  try {
    message = type.decode(unknown.raw ?? new Uint8Array());
  } catch (err) {
    throw badRequest(`unable to decode ${kind} from protobuf: ${(err as Error).message}`);
  }
  const obj = toJSON(type, message) as Record<string, unknown>;
  return { apiVersion, kind, ...obj };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Go's zero time.Time as protobuf carries it (seconds since the epoch of 0001-01-01). */
const ZERO_TIME_SECONDS = -62135596800;

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

function rfc3339(seconds: number, nanos: number, micro: boolean): string {
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** Go's time.Duration.String(): 1h2m3.5s, 500ms, 0s. */
function goDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  let n = Math.abs(nanos);
  if (n < 1e9) {
    if (n < 1e3) return `${sign}${n}ns`;
    if (n < 1e6) return `${sign}${n / 1e3}µs`;
    return `${sign}${n / 1e6}ms`;
  }
  const h = Math.floor(n / 3.6e12);
  n -= h * 3.6e12;
  const m = Math.floor(n / 6e10);
  n -= m * 6e10;
  const s = `${n / 1e9}s`;
  return `${sign}${h ? `${h}h${m}m` : m ? `${m}m` : ''}${s}`;
}

/** The apimachinery types whose JSON is not their message's fields. Undefined means "omit". */
function special(name: string, m: Record<string, unknown>): Json | undefined | typeof NOT_SPECIAL {
  switch (name) {
    case `${META}.Time`:
    case `${META}.MicroTime`: {
      const seconds = num(m.seconds ?? 0);
      if (seconds <= ZERO_TIME_SECONDS) return undefined;
      return rfc3339(seconds, num(m.nanos ?? 0), name.endsWith('MicroTime'));
    }
    case `${META}.Duration`:
      return goDuration(num(m.duration ?? 0));
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return (m.string as string | undefined) ?? '0';
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return num(m.type ?? 0) === 1 ? ((m.strVal as string | undefined) ?? '') : num(m.intVal ?? 0);
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
    case `${META}.FieldsV1`: {
      const raw = (m.raw ?? m.Raw) as Uint8Array | undefined;
      if (!raw || raw.length === 0) return undefined;
      try {
        return JSON.parse(Buffer.from(raw).toString('utf8')) as Json;
      } catch {
        throw badRequest(`${name.split('.').pop()}: embedded object is not JSON`);
      }
    }
    default:
      return NOT_SPECIAL;
  }
}
const NOT_SPECIAL = Symbol('not special');

function value(field: protobuf.Field, v: unknown): Json | undefined {
  if (field.resolvedType instanceof protobuf.Type) return toJSON(field.resolvedType, v as protobuf.Message);
  if (field.resolvedType instanceof protobuf.Enum) return num(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'object' && v !== null) return num(v);
  return v as Json;
}

function toJSON(type: protobuf.Type, message: protobuf.Message | Record<string, unknown>): Json | undefined {
  const m = message as unknown as Record<string, unknown>;
  const s = special(type.fullName.replace(/^\./, ''), m);
  if (s !== NOT_SPECIAL) return s;
  const out: { [k: string]: Json } = {};
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(m, field.name)) continue;
    const v = m[field.name];
    if (field.map) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) continue;
      const obj: { [k: string]: Json } = {};
      for (const [k, e] of entries) {
        const j = value(field, e);
        if (j !== undefined) obj[k] = j;
      }
      out[field.name] = obj;
    } else if (field.repeated) {
      const items = (v as unknown[]).map((e) => value(field, e)).filter((e): e is Json => e !== undefined);
      if (items.length > 0) out[field.name] = items;
    } else {
      const j = value(field, v);
      // Go's zero string is omitted in JSON (omitempty); protobuf carries it for every non-pointer field.
      if (j === undefined || j === '') continue;
      out[field.name] = j;
    }
  }
  return out;
}
