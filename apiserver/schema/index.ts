/**
 * Structural-schema validation, defaulting and pruning of custom resources, as kube-apiserver does them.
 * The REST layer calls, on every write: prune → applyDefaults → validate, and turns errors into statusForInvalid().
 */
import type { FieldError, JSONSchemaProps } from '../types.js';
import { applyDefaultsNode, pruneNonNullableNulls } from './defaults.js';
import { validateListTypes } from './list-types.js';
import { pruneNode } from './prune.js';
import { validateStructuralSchema } from './structural.js';
import { validateNode } from './validate.js';

export { formatFieldError, statusForInvalid, fieldErrors } from './field-errors.js';
export { validateObjectMetaFields, qualifiedNameErrors, labelValueErrors, dns1123SubdomainErrors } from './object-meta.js';

/**
 * Validates obj against schema; field paths are rooted at the object (`spec.replicas`). Includes embedded resources'
 * apiVersion/kind/metadata checks and x-kubernetes-list-type set/map uniqueness. The root ObjectMeta (name, labels,
 * annotations, finalizers) is the REST layer's, for every kind: validateObjectMetaFields gives kube's texts.
 */
export function validate(schema: JSONSchemaProps, obj: unknown): FieldError[] {
  const errs: FieldError[] = [];
  validateNode(schema, obj, '', errs);
  validateListTypes(schema, obj, '', errs);
  return errs;
}

/** Applies `default` values in place, as kube-apiserver does on create, update and read. */
export function applyDefaults(schema: JSONSchemaProps, obj: unknown): void {
  applyDefaultsNode(schema, obj);
  pruneNonNullableNulls(schema, obj);
}

/**
 * Drops fields the schema does not know, in place, unless x-kubernetes-preserve-unknown-fields.
 * Returns the dropped paths (`spec.foo`), which the REST layer turns into fieldValidation=Strict errors or Warn warnings.
 */
export function prune(schema: JSONSchemaProps, obj: unknown): string[] {
  const pruned: string[] = [];
  pruneNode(schema, obj, '', true, pruned);
  return pruned;
}

/** Checks that a CRD's openAPIV3Schema is structural; errors name spec.versions[i].schema.openAPIV3Schema.... */
export function validateStructural(schema: JSONSchemaProps, fieldPrefix: string): FieldError[] {
  return validateStructuralSchema(schema, fieldPrefix);
}
