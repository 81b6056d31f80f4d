/**
 * Patch algorithms: JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch for built-in
 * types, and server-side apply with managed fields.
 * PLACEHOLDER: the real implementation replaces these bodies; the signatures are the contract the REST layer uses.
 */
export type JsonObject = Record<string, unknown>;

/** Thrown for a malformed patch or a failed `test` op; the REST layer answers 422 (or 400 when unparsable). */
export class PatchError extends Error {
  constructor(message: string, readonly code: 400 | 409 | 422 = 422) {
    super(message);
  }
}

export function applyJsonPatch(_doc: JsonObject, _ops: unknown): JsonObject {
  throw new PatchError('json patch not implemented', 400);
}

export function applyMergePatch(_doc: JsonObject, _patch: unknown): JsonObject {
  throw new PatchError('merge patch not implemented', 400);
}

/** Strategic merge patch for a built-in kind (by apiVersion and kind); patch directives ($patch, $retainKeys, ...). */
export function applyStrategicMergePatch(_doc: JsonObject, _patch: unknown, _apiVersion: string, _kind: string): JsonObject {
  throw new PatchError('strategic merge patch not implemented', 400);
}

export interface ApplyResult {
  object: JsonObject;
  /** Non-empty when another manager owns a field the applied configuration changes and force is false. */
  conflicts: { manager: string; field: string }[];
}

/** Server-side apply of `applied` by fieldManager onto live (undefined on create), maintaining metadata.managedFields. */
export function serverSideApply(_live: JsonObject | undefined, _applied: JsonObject, _fieldManager: string, _force: boolean): ApplyResult {
  throw new PatchError('server-side apply not implemented', 400);
}
