/**
 * Field errors rendered the way k8s.io/apimachinery/pkg/util/validation/field does, and the 422 Status that
 * kube-apiserver builds from them (StatusReasonInvalid).
 */
import type { FieldError } from '../types.js';

const TYPE_TEXT: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
};

/** Types whose body never shows the bad value (field.Error.ErrorBody). */
const VALUE_OMITTED = new Set<FieldError['type']>(['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong']);

/** Go's %v for a float64/int64 decoded from JSON (integers print without exponent up to int64 range). */
export function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    // %g switches to exponent form with at least two exponent digits.
    const [mant, exp] = n.toExponential().split('e');
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

/** Go's %q: a double-quoted string with Go escapes (JSON's escaping matches for everything kube prints). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

/** Go's %#v of a value decoded by encoding/json into interface{} (what kube prints for maps and slices). */
export function goSyntax(v: unknown, nested = false): string {
  if (v === null || v === undefined) return nested ? 'interface {}(nil)' : '<nil>';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map((x) => goSyntax(x, true)).join(', ')}}`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const body = Object.keys(o).sort().map((k) => `${goQuote(k)}:${goSyntax(o[k], true)}`).join(', ');
    return `map[string]interface {}{${body}}`;
  }
  return String(v);
}

/** The bad value as field.Error.ErrorBody prints it. */
export function formatBadValue(v: unknown): string {
  if (v === null) return '"null"';
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return goQuote(v);
  return goSyntax(v);
}

/** `field: <Type text>[: <bad value>][: detail]`, exactly like field.Error.Error(). */
export function formatFieldError(e: FieldError): string {
  let body = TYPE_TEXT[e.type];
  if (!VALUE_OMITTED.has(e.type) && e.badValue !== undefined) body += `: ${formatBadValue(e.badValue)}`;
  if (e.detail) body += `: ${e.detail}`;
  return `${e.field}: ${body}`;
}

/** The Status kube-apiserver answers with 422 for invalid objects (apierrors.NewInvalid). */
export function statusForInvalid(kind: string, group: string, name: string, errors: FieldError[]): Record<string, unknown> {
  const qualified = group ? `${kind}.${group}` : kind;
  const texts = errors.map(formatFieldError);
  // utilerrors.NewAggregate prints a single error bare and several as a bracketed list.
  const aggregate = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${qualified} "${name}" is invalid: ${aggregate}`,
    reason: 'Invalid',
    details: {
      name,
      group,
      kind,
      causes: errors.map((e, i) => ({ reason: e.type, message: causeMessage(e, texts[i]), field: e.field })),
    },
    code: 422,
  };
}

/** A cause's message is ErrorBody(): the error text without the leading `field: `. */
function causeMessage(e: FieldError, full: string): string {
  return full.slice(e.field.length + 2);
}

export const fieldErrors = {
  required: (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail }),
  invalid: (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, detail, badValue }),
  typeInvalid: (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, detail, badValue }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail }),
  duplicate: (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, detail: '', badValue }),
  notSupported: (field: string, badValue: unknown, allowed: unknown[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field,
    badValue,
    detail: allowed.length ? `supported values: ${allowed.map((a) => goQuote(typeof a === 'string' ? a : JSON.stringify(a))).join(', ')}` : '',
  }),
  tooLong: (field: string, max: number): FieldError => ({
    type: 'FieldValueTooLong',
    field,
    detail: max >= 0 ? `may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}` : 'value is too long',
  }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({
    type: 'FieldValueTooMany',
    field,
    badValue: actual >= 0 ? actual : undefined,
    detail: max >= 0 ? `must have at most ${max} ${max === 1 ? 'item' : 'items'}` : 'has too many items',
  }),
};
