/**
 * OpenAPI v3 value validation of custom resources, in the order and with the messages of kube-openapi's
 * SchemaValidator (type, allOf/anyOf/oneOf/not, string, format, number, items, enum, object), converted to field
 * errors the way apiextensions-apiserver's kubeOpenAPIResultToFieldErrors does.
 */
import { getOwn, hasOwn } from '../../lib/safe-json.js';
import type { FieldError, JSONSchemaProps } from '../types.js';
import { fieldErrors, goNumber, goQuote } from './field-errors.js';
import { checkFormat, isKnownStringFormat } from './formats.js';
import { compilePattern } from './pattern.js';
import { validateEmbeddedResource } from './object-meta.js';

type JsonKind = 'null' | 'string' | 'boolean' | 'integer' | 'number' | 'array' | 'object';

function kindOf(v: unknown): JsonKind {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string': return 'string';
    case 'boolean': return 'boolean';
    case 'number': return Number.isInteger(v) ? 'integer' : 'number';
    default: return 'object';
  }
}

/** The JSON Schema `type` list kube-openapi sees: int-or-string becomes ["integer","string"]. */
function typesOf(s: JSONSchemaProps): string[] {
  if (s['x-kubernetes-int-or-string']) return ['integer', 'string'];
  return s.type ? [s.type] : [];
}

export function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function typeError(path: string, expected: string, found: string): FieldError {
  return fieldErrors.typeInvalid(path, found, `${path} in body must be of type ${expected}: ${goQuote(found)}`);
}

/** typeValidator: returns an error or undefined. */
function checkType(s: JSONSchemaProps, value: unknown, kind: JsonKind, path: string): FieldError | undefined {
  const types = typesOf(s);
  if (types.length === 0) return undefined;
  if (kind === 'null') return s.nullable ? undefined : typeError(path, types.join(','), 'null');
  const wantsNumber = types.includes('number') || types.includes('integer');
  // A format on a non-numeric type lets strings and arrays through (kube-openapi quirk kept for parity).
  if (!wantsNumber && s.format && (kind === 'string' || kind === 'array')) return undefined;
  const isFloatInt = kind === 'number' && Number.isInteger(value) && types.includes('integer');
  const isIntFloat = kind === 'integer' && types.includes('number');
  if (kind !== 'string' && kind !== 'array' && s.format && wantsNumber) {
    const found = kind === 'integer' ? 'int64' : kind === 'number' ? 'float64' : '';
    if (!(types.includes(kind) || found === s.format || isFloatInt || isIntFloat)) return typeError(path, s.format, found);
  }
  if (!(types.includes(kind) || isFloatInt || isIntFloat)) return typeError(path, types.join(','), kind);
  return undefined;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => hasOwn(bo, k) && deepEqual(getOwn(ao, k), getOwn(bo, k)));
}

export { deepEqual };

function validateJunctors(s: JSONSchemaProps, value: unknown, path: string, errs: FieldError[]): void {
  // Errors from logic junctors carry no field of their own: kube reports them on the nil path.
  if (s.allOf) {
    let failed = false;
    for (const sub of s.allOf) {
      const sub_errs: FieldError[] = [];
      validateNode(sub, value, path, sub_errs);
      if (sub_errs.length) {
        failed = true;
        errs.push(...sub_errs);
      }
    }
    if (failed) errs.push(fieldErrors.invalid('<nil>', '', `${goQuote(path)} must validate all the schemas (allOf)`));
  }
  if (s.anyOf) {
    let best: FieldError[] | undefined;
    let ok = false;
    for (const sub of s.anyOf) {
      const sub_errs: FieldError[] = [];
      validateNode(sub, value, path, sub_errs);
      if (sub_errs.length === 0) {
        ok = true;
        break;
      }
      if (!best || sub_errs.length < best.length) best = sub_errs;
    }
    if (!ok) {
      errs.push(fieldErrors.invalid('<nil>', '', `${goQuote(path)} must validate at least one schema (anyOf)`));
      if (best) errs.push(...best);
    }
  }
  if (s.oneOf) {
    let valid = 0;
    let best: FieldError[] | undefined;
    for (const sub of s.oneOf) {
      const sub_errs: FieldError[] = [];
      validateNode(sub, value, path, sub_errs);
      if (sub_errs.length === 0) valid++;
      else if (!best || sub_errs.length < best.length) best = sub_errs;
    }
    if (valid !== 1) {
      const why = valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`;
      errs.push(fieldErrors.invalid('<nil>', '', `${goQuote(path)} must validate one and only one schema (oneOf). ${why}`));
      if (valid === 0 && best) errs.push(...best);
    }
  }
  if (s.not) {
    const sub_errs: FieldError[] = [];
    validateNode(s.not, value, path, sub_errs);
    if (sub_errs.length === 0) errs.push(fieldErrors.invalid('<nil>', '', `${goQuote(path)} must not validate the schema (not)`));
  }
}

function validateString(s: JSONSchemaProps, value: string, path: string, errs: FieldError[]): void {
  if (s.maxLength !== undefined || s.minLength !== undefined) {
    const len = [...value].length; // runes, as utf8.RuneCountInString
    if (s.maxLength !== undefined && len > s.maxLength) errs.push(fieldErrors.tooLong(path, s.maxLength));
    if (s.minLength !== undefined && len < s.minLength) {
      errs.push(fieldErrors.invalid(path, value, `${path} in body should be at least ${s.minLength} chars long`));
    }
  }
  if (s.pattern !== undefined) {
    const re = compilePattern(s.pattern);
    if (!(re instanceof Error) && !re.test(value)) {
      errs.push(fieldErrors.invalid(path, value, `${path} in body should match '${s.pattern}'`));
    }
  }
  if (s.format && isKnownStringFormat(s.format) && !checkFormat(s.format, value)) {
    errs.push(fieldErrors.typeInvalid(path, value, `${path} in body must be of type ${s.format}: ${goQuote(value)}`));
  }
}

function validateNumber(s: JSONSchemaProps, value: number, path: string, errs: FieldError[]): void {
  if (s.multipleOf !== undefined && s.multipleOf > 0) {
    const q = value / s.multipleOf;
    if (!Number.isInteger(q)) errs.push(fieldErrors.invalid(path, value, `${path} in body should be a multiple of ${goNumber(s.multipleOf)}`));
  }
  if (s.maximum !== undefined) {
    const bad = s.exclusiveMaximum ? value >= s.maximum : value > s.maximum;
    const rel = s.exclusiveMaximum ? 'less than' : 'less than or equal to';
    if (bad) errs.push(fieldErrors.invalid(path, value, `${path} in body should be ${rel} ${goNumber(s.maximum)}`));
  }
  if (s.minimum !== undefined) {
    const bad = s.exclusiveMinimum ? value <= s.minimum : value < s.minimum;
    const rel = s.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
    if (bad) errs.push(fieldErrors.invalid(path, value, `${path} in body should be ${rel} ${goNumber(s.minimum)}`));
  }
}

function validateArray(s: JSONSchemaProps, value: unknown[], path: string, errs: FieldError[]): void {
  if (s.items) for (let i = 0; i < value.length; i++) validateNode(s.items, value[i], `${path}[${i}]`, errs);
  if (s.minItems !== undefined && value.length < s.minItems) {
    errs.push(fieldErrors.invalid(path, value.length, `${path} in body should have at least ${s.minItems} items`));
  }
  if (s.maxItems !== undefined && value.length > s.maxItems) errs.push(fieldErrors.tooMany(path, value.length, s.maxItems));
  if (s.uniqueItems && hasDuplicates(value)) errs.push(fieldErrors.invalid(path, '', `${path} in body shouldn't contain duplicates`));
}

function hasDuplicates(value: unknown[]): boolean {
  const seen = new Set<string>();
  for (const v of value) {
    const key = canonicalJson(v);
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

/** JSON with sorted keys, for equality of arbitrary JSON values. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

function validateEnum(s: JSONSchemaProps, value: unknown, path: string, errs: FieldError[]): void {
  if (!s.enum || s.enum.length === 0) return;
  for (const allowed of s.enum) if (deepEqual(allowed, value)) return;
  errs.push(fieldErrors.notSupported(path, value, s.enum));
}

function validateObject(s: JSONSchemaProps, value: Record<string, unknown>, path: string, errs: FieldError[]): void {
  const keys = Object.keys(value);
  if (s.minProperties !== undefined && keys.length < s.minProperties) {
    errs.push(fieldErrors.invalid(path, keys.length, `${path} in body should have at least ${s.minProperties} properties`));
    return;
  }
  if (s.maxProperties !== undefined && keys.length > s.maxProperties) {
    errs.push(fieldErrors.tooMany(path, keys.length, s.maxProperties));
    return;
  }
  const props = s.properties;
  const additional = s.additionalProperties;
  if (additional === false) {
    for (const k of keys) {
      if (!props || !hasOwn(props, k)) errs.push(fieldErrors.invalid(childPath(path, k), k, `${path}.${k} in body is a forbidden property`));
    }
  } else if (additional && typeof additional === 'object') {
    for (const k of keys) if (!props || !hasOwn(props, k)) validateNode(additional, getOwn(value, k), childPath(path, k), errs);
  }
  if (props) {
    for (const k of Object.keys(props)) {
      if (hasOwn(value, k)) validateNode(getOwn<JSONSchemaProps>(props, k)!, getOwn(value, k), childPath(path, k), errs);
    }
  }
  if (s.required) for (const k of s.required) if (!hasOwn(value, k)) errs.push(fieldErrors.required(childPath(path, k)));
}

/** Validates one schema node; errors are appended to errs. */
export function validateNode(s: JSONSchemaProps, value: unknown, path: string, errs: FieldError[]): void {
  const kind = kindOf(value);
  const typeErr = checkType(s, value, kind, path);
  if (typeErr) errs.push(typeErr);
  if (kind === 'null') {
    validateEnum(s, value, path, errs);
    return;
  }
  if (s.allOf || s.anyOf || s.oneOf || s.not) validateJunctors(s, value, path, errs);
  switch (kind) {
    case 'string':
      validateString(s, value as string, path, errs);
      break;
    case 'integer':
    case 'number':
      validateNumber(s, value as number, path, errs);
      break;
    case 'array':
      validateArray(s, value as unknown[], path, errs);
      break;
    default:
      break;
  }
  validateEnum(s, value, path, errs);
  if (kind === 'object') {
    validateObject(s, value as Record<string, unknown>, path, errs);
    if (s['x-kubernetes-embedded-resource']) errs.push(...validateEmbeddedResource(path, value as Record<string, unknown>));
  }
}
