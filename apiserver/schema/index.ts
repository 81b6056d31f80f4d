/**
 * Structural-schema validation, defaulting and pruning of custom resources, as kube-apiserver does them.
 * PLACEHOLDER: the real implementation replaces these bodies; the signatures are the contract the REST layer uses.
 */
import type { FieldError, JSONSchemaProps } from '../types.js';

/** Validates obj against schema; field paths are rooted at the object (`spec.replicas`). */
export function validate(_schema: JSONSchemaProps, _obj: unknown): FieldError[] {
  return [];
}

/** Applies `default` values in place, as kube-apiserver does on create, update and read. */
export function applyDefaults(_schema: JSONSchemaProps, _obj: unknown): void {}

/**
 * Drops fields the schema does not know, in place, unless x-kubernetes-preserve-unknown-fields.
 * Returns the dropped paths (`spec.foo`), which the REST layer turns into fieldValidation=Strict errors or Warn warnings.
 */
export function prune(_schema: JSONSchemaProps, _obj: unknown): string[] {
  return [];
}

/** Checks that a CRD's openAPIV3Schema is structural; errors name spec.versions[i].schema.openAPIV3Schema.... */
export function validateStructural(_schema: JSONSchemaProps, _fieldPrefix: string): FieldError[] {
  return [];
}
