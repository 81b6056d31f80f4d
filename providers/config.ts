/**
 * Validation of `spec.infrastructure.config` against a provider's schema, with kube-apiserver's field
 * error wording, so a bad config reads the same in a Machine condition as a bad field in `kubectl apply`.
 * The schema language is the structural-schema subset providers need: type, properties, required,
 * additionalProperties, enum, minimum/maximum, minLength/maxLength, pattern, items, default.
 */
import type { FieldError, JSONSchemaProps } from '../apiserver/types.js';
import type { InfrastructureProvider, OperationResult } from './types.js';

const TYPE_WORDS: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
};

const showValue = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

/** `field: Unsupported value: "huge": supported values: "small", "medium", "large"`, as field.Error prints. */
export function formatFieldError(e: FieldError): string {
  const words = TYPE_WORDS[e.type];
  if (e.type === 'FieldValueRequired' || e.type === 'FieldValueForbidden' || e.badValue === undefined) {
    return e.detail ? `${e.field}: ${words}: ${e.detail}` : `${e.field}: ${words}`;
  }
  return `${e.field}: ${words}: ${showValue(e.badValue)}${e.detail ? `: ${e.detail}` : ''}`;
}

export function formatFieldErrors(errors: FieldError[]): string {
  return errors.length === 1 ? formatFieldError(errors[0]!) : `[${errors.map(formatFieldError).join(', ')}]`;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: NonNullable<JSONSchemaProps['type']>, v: unknown): boolean {
  const got = typeOf(v);
  return got === want || (want === 'number' && got === 'integer');
}

/** Validates value in place, filling defaults; returns the errors (empty when valid). */
function check(schema: JSONSchemaProps, value: unknown, path: string, errors: FieldError[]): void {
  if (schema.type && !typeMatches(schema.type, value)) {
    errors.push({ type: 'FieldValueTypeInvalid', field: path, badValue: value, detail: `${path} in body must be of type ${schema.type}: "${typeOf(value)}"` });
    return;
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    errors.push({ type: 'FieldValueNotSupported', field: path, badValue: value, detail: `supported values: ${schema.enum.map(showValue).join(', ')}` });
    return;
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      errors.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `should be greater than or equal to ${schema.minimum}` });
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      errors.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `should be less than or equal to ${schema.maximum}` });
    }
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      errors.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `should be at least ${schema.minLength} chars long` });
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      errors.push({ type: 'FieldValueTooLong', field: path, badValue: value, detail: `may not be more than ${schema.maxLength} bytes` });
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      errors.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `should match '${schema.pattern}'` });
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => check(schema.items!, item, `${path}[${i}]`, errors));
  }
  if (typeOf(value) === 'object') checkObject(schema, value as Record<string, unknown>, path, errors);
}

function checkObject(schema: JSONSchemaProps, obj: Record<string, unknown>, path: string, errors: FieldError[]): void {
  const props = schema.properties ?? {};
  for (const [name, sub] of Object.entries(props)) {
    if (obj[name] === undefined && sub.default !== undefined) obj[name] = structuredClone(sub.default);
  }
  for (const name of schema.required ?? []) {
    if (obj[name] === undefined) errors.push({ type: 'FieldValueRequired', field: `${path}.${name}`, detail: '' });
  }
  for (const [name, v] of Object.entries(obj)) {
    const sub = props[name];
    if (sub) check(sub, v, `${path}.${name}`, errors);
    else if (typeof schema.additionalProperties === 'object') check(schema.additionalProperties, v, `${path}.${name}`, errors);
    else if (schema.additionalProperties !== true && !schema['x-kubernetes-preserve-unknown-fields']) {
      errors.push({ type: 'FieldValueForbidden', field: `${path}.${name}`, detail: 'field not declared in schema' });
    }
  }
}

export interface ValidatedConfig<T = Record<string, unknown>> {
  /** A defaulted copy of the input; only meaningful when errors is empty. */
  config: T;
  errors: FieldError[];
}

/**
 * Checks a config against a schema and fills defaults. Never throws: a bad config is reported as field
 * errors under fieldPath (for example `spec.infrastructure.config`).
 */
export function validateAgainstSchema<T = Record<string, unknown>>(schema: JSONSchemaProps, config: unknown, fieldPath: string): ValidatedConfig<T> {
  const copy: unknown = config === undefined || config === null ? {} : structuredClone(config);
  const errors: FieldError[] = [];
  check({ type: 'object', ...schema }, copy, fieldPath, errors);
  return { config: copy as T, errors };
}

/** Schema check plus the provider's own semantic checks. */
export function validateProviderConfig<T = Record<string, unknown>>(provider: InfrastructureProvider, config: unknown, fieldPath = 'spec.infrastructure.config'): ValidatedConfig<T> {
  const result = validateAgainstSchema<T>(provider.configSchema, config, fieldPath);
  if (result.errors.length === 0 && provider.validateConfig) {
    result.errors.push(...provider.validateConfig(result.config as Record<string, unknown>, fieldPath));
  }
  return result;
}

/** The failed-for-good answer to an operation given a config that does not validate. */
export function invalidConfig<T>(errors: FieldError[]): OperationResult<T> {
  return { status: 'failed', reason: 'InvalidConfiguration', message: formatFieldErrors(errors) };
}
