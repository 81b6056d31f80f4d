/**
 * Patch algorithms: JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch for built-in
 * types, and server-side apply with managed fields. None of them mutates its input document.
 */
export { PatchError, type JsonObject } from './errors.js';
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic.js';
export { serverSideApply, parseApplyPatch, conflictStatus, describeManager, type ApplyResult, type ApplyConflict } from './apply.js';
export { recordUpdate, managerFromUserAgent, type TrackOptions } from './managed-fields.js';
export { fromFieldsV1, toFieldsV1, pathString } from './fieldset.js';
