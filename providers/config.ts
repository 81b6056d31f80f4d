/**
 * Validation of `spec.infrastructure.config` against a provider's schema, with kube-apiserver's field
 * error wording, so a bad config reads the same in a Machine condition as a bad field in `kubectl apply`.
 * Providers' schemas are structural schemas, checked by the API server's own validator.
 */
import type { FieldError, JSONSchemaProps } from '../apiserver/types.js';
import { applyDefaults, formatFieldError, prune, validate } from '../apiserver/schema/index.js';
import type { InfrastructureProvider, OperationResult } from './types.js';

export { formatFieldError };

export function formatFieldErrors(errors: FieldError[]): string {
  return errors.length === 1 ? formatFieldError(errors[0]!) : `[${errors.map(formatFieldError).join(', ')}]`;
}

/** schema placed at fieldPath (`spec.infrastructure.config`), so errors are named from the manifest's root. */
function nestAt(schema: JSONSchemaProps, path: string[]): JSONSchemaProps {
  return path.reduceRight<JSONSchemaProps>((inner, key) => ({ type: 'object', properties: { [key]: inner } }), schema);
}

function nestValue(value: unknown, path: string[]): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
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
  const path = fieldPath.split('.').filter(Boolean);
  const rooted = nestAt({ type: 'object', ...schema }, path);
  const doc = nestValue(copy, path);
  // The API server's own structural-schema code: the same defaults, pruning and messages as `kubectl apply` gets.
  applyDefaults(rooted, doc);
  const errors = validate(rooted, doc);
  const unknown = prune(rooted, doc);
  errors.push(...unknown.map((field): FieldError => ({ type: 'FieldValueForbidden', field, detail: 'field not declared in schema' })));
  return { config: path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], doc) as T, errors };
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
