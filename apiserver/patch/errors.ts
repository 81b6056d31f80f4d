export type JsonObject = Record<string, unknown>;

/** Thrown for a malformed patch or a failed `test` op; the REST layer answers 422 (or 400 when unparsable). */
export class PatchError extends Error {
  constructor(message: string, readonly code: 400 | 409 | 413 | 422 = 422) {
    super(message);
  }
}

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function cloneJson<T>(v: T): T {
  // A JSON round trip rather than structuredClone: it copies `__proto__` keys as data and nests twice as deep.
  return v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as T);
}
