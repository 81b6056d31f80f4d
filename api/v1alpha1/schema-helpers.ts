/**
 * Small builders on top of TypeBox for the shapes Kubernetes structural schemas need and TypeBox spells
 * differently (string enums, string maps, int-or-string, free-form objects). Each returns a schema whose
 * static type is what the controllers see, so the TypeScript types and the CRD schema come from one place.
 */
import { Type, type TSchema, type TUnsafe, type SchemaOptions } from '@sinclair/typebox';

/** A string restricted to the given values, as `enum` (kube-apiserver: "Unsupported value"). */
export function StringEnum<T extends string>(values: readonly T[], opts: SchemaOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...opts, type: 'string', enum: [...values] });
}

/** An integer restricted to the given values. */
export function IntegerEnum<T extends number>(values: readonly T[], opts: SchemaOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...opts, type: 'integer', enum: [...values] });
}

/** map[string]string. */
export function StringMap(opts: SchemaOptions = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ ...opts, type: 'object', additionalProperties: { type: 'string' } });
}

/** map[string]bool (feature gates). */
export function BoolMap(opts: SchemaOptions = {}): TUnsafe<Record<string, boolean>> {
  return Type.Unsafe<Record<string, boolean>>({ ...opts, type: 'object', additionalProperties: { type: 'boolean' } });
}

/** An integer or a string such as "25%" (intstr.IntOrString). */
export function IntOrString(opts: SchemaOptions = {}): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({
    ...opts,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  });
}

/** A free-form object whose fields the schema does not know (provider-specific configuration). */
export function FreeForm(opts: SchemaOptions = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ ...opts, type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
}

/** A list whose items are merged by key in server-side apply (listType=map). */
export function MapList<T extends TSchema>(item: T, keys: string[], opts: SchemaOptions = {}) {
  return Type.Array(item, { ...opts, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys });
}
