/**
 * /openapi/v2 in protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): the gnostic
 * openapi.v2.Document message that kube-apiserver serves. kubectl before 1.23 (Debian's kubectl is 1.20)
 * asks only for this form and refuses to validate, explain or apply without it.
 *
 * Encoded: swagger, info, definitions (what kubectl's model reader, kube-openapi's proto.NewOpenAPIData, uses for
 * validation and explain) and paths with their operations' parameters and extensions (kubectl looks up the
 * PATCH operation of a kind to see whether the server takes `dryRun`). Responses, security and the
 * operations' response schemas are left out: no client reads them from this form, and the JSON document has them.
 */
import yaml from 'js-yaml';

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

type Json = Record<string, unknown>;

/** A protobuf message being written: fields in the order they are added, proto3 defaults left out. */
class Message {
  private readonly parts: Buffer[] = [];

  private key(field: number, wireType: number): void {
    this.parts.push(varint((field << 3) | wireType));
  }

  string(field: number, value: unknown): this {
    if (typeof value !== 'string' || value === '') return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  strings(field: number, values: unknown): this {
    if (Array.isArray(values)) for (const v of values) if (typeof v === 'string') this.bytes(field, Buffer.from(v, 'utf8'));
    return this;
  }

  bool(field: number, value: unknown): this {
    if (value !== true) return this;
    this.key(field, 0);
    this.parts.push(varint(1));
    return this;
  }

  int64(field: number, value: unknown): this {
    if (typeof value !== 'number' || !Number.isInteger(value) || value === 0) return this;
    this.key(field, 0);
    this.parts.push(varint(value));
    return this;
  }

  double(field: number, value: unknown): this {
    if (typeof value !== 'number') return this;
    this.key(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.parts.push(b);
    return this;
  }

  message(field: number, m: Message | undefined): this {
    return m ? this.bytes(field, m.encode()) : this;
  }

  private bytes(field: number, b: Buffer): this {
    this.key(field, 2);
    this.parts.push(varint(b.length), b);
    return this;
  }

  encode(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Base-128 varint; negative int64 values take ten bytes, as in protobuf's two's complement encoding. */
function varint(n: number): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

/** gnostic's Any: the value as YAML text (field 2), which is how kube-openapi reads extensions and defaults. */
function any(value: unknown): Message {
  return new Message().string(2, yaml.dump(value, { lineWidth: -1, noRefs: true }));
}

/** NamedAny entries for the `x-` keys of an object (vendor extensions). */
function extensions(m: Message, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith('x-')) m.message(field, new Message().string(1, k).message(2, any(v)));
  }
}

function schema(s: Json): Message {
  const m = new Message()
    .string(1, s.$ref)
    .string(2, s.format)
    .string(3, s.title)
    .string(4, s.description);
  if (s.default !== undefined) m.message(5, any(s.default));
  m.double(6, s.multipleOf).double(7, s.maximum).bool(8, s.exclusiveMaximum).double(9, s.minimum).bool(10, s.exclusiveMinimum)
    .int64(11, s.maxLength).int64(12, s.minLength).string(13, s.pattern).int64(14, s.maxItems).int64(15, s.minItems)
    .bool(16, s.uniqueItems).int64(17, s.maxProperties).int64(18, s.minProperties).strings(19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) m.message(20, any(e));
  const ap = s.additionalProperties;
  if (typeof ap === 'boolean') m.message(21, new Message().bool(2, ap));
  else if (ap && typeof ap === 'object') m.message(21, new Message().message(1, schema(ap as Json)));
  if (s.type !== undefined) m.message(22, new Message().strings(1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items && typeof s.items === 'object') {
    const items = new Message();
    for (const i of Array.isArray(s.items) ? s.items : [s.items]) items.message(1, schema(i as Json));
    m.message(23, items);
  }
  if (Array.isArray(s.allOf)) for (const a of s.allOf) m.message(24, schema(a as Json));
  if (s.properties && typeof s.properties === 'object') {
    const props = new Message();
    for (const [name, p] of Object.entries(s.properties as Record<string, Json>)) props.message(1, new Message().string(1, name).message(2, schema(p)));
    m.message(25, props);
  }
  m.string(26, s.discriminator).bool(27, s.readOnly);
  if (s.example !== undefined) m.message(30, any(s.example));
  extensions(m, 31, s);
  return m;
}

/** A non-body parameter's sub-schema; header, form, query and path ones share their first fields. */
function nonBodyParameter(p: Json): Message {
  const m = new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
  // Form and query sub-schemas have allow_empty_value at 5, which shifts the rest by one.
  const shift = p.in === 'query' || p.in === 'formData' ? 1 : 0;
  m.string(5 + shift, p.type).string(6 + shift, p.format);
  if (p.uniqueItems === true) m.bool((p.in === 'query' || p.in === 'formData' ? 20 : 19), true);
  extensions(m, 22 + shift, p);
  return m;
}

const NON_BODY_FIELD: Record<string, number> = { header: 1, formData: 2, query: 3, path: 4 };

function parametersItem(p: Json): Message {
  if (typeof p.$ref === 'string') return new Message().message(2, new Message().string(1, p.$ref));
  if (p.in === 'body') {
    const body = new Message().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required);
    if (p.schema && typeof p.schema === 'object') body.message(5, schema(p.schema as Json));
    return new Message().message(1, new Message().message(1, body));
  }
  const field = NON_BODY_FIELD[String(p.in)];
  if (!field) return new Message();
  return new Message().message(1, new Message().message(2, new Message().message(field, nonBodyParameter(p))));
}

function operation(o: Json): Message {
  const m = new Message().strings(1, o.tags).string(2, o.summary).string(3, o.description).string(5, o.operationId)
    .strings(6, o.produces).strings(7, o.consumes);
  if (Array.isArray(o.parameters)) for (const p of o.parameters) m.message(8, parametersItem(p as Json));
  m.strings(10, o.schemes).bool(11, o.deprecated);
  extensions(m, 13, o);
  return m;
}

const OPERATION_FIELD: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function pathItem(item: Json): Message {
  const m = new Message().string(1, item.$ref);
  for (const [verb, field] of Object.entries(OPERATION_FIELD)) {
    if (item[verb] && typeof item[verb] === 'object') m.message(field, operation(item[verb] as Json));
  }
  if (Array.isArray(item.parameters)) for (const p of item.parameters) m.message(9, parametersItem(p as Json));
  extensions(m, 10, item);
  return m;
}

/** The JSON /openapi/v2 document as a gnostic openapi.v2.Document. */
export function encodeOpenApiV2(doc: Json): Buffer {
  const info = (doc.info ?? {}) as Json;
  const definitions = new Message();
  for (const [name, s] of Object.entries((doc.definitions ?? {}) as Record<string, Json>)) {
    definitions.message(1, new Message().string(1, name).message(2, schema(s)));
  }
  const paths = new Message();
  for (const [name, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    paths.message(2, new Message().string(1, name).message(2, pathItem(item)));
  }
  return new Message()
    .string(1, doc.swagger)
    .message(2, new Message().string(1, info.title).string(2, info.version).string(3, info.description))
    .message(8, paths)
    .message(9, definitions)
    .encode();
}
