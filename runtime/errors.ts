/** API errors with kube-apiserver's Status details, told apart the way apimachinery's errors package does. */

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { type?: string; message?: string; field?: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 409 Conflict: the object changed since it was read (stale resourceVersion). Retry with a fresh read. */
export class ConflictError extends ApiError {
  constructor(message: string, details?: StatusDetails) {
    super(409, 'Conflict', message, details);
    this.name = 'ConflictError';
  }
}

/** 409 AlreadyExists: create of a name that is taken. */
export class AlreadyExistsError extends ApiError {
  constructor(message: string, details?: StatusDetails) {
    super(409, 'AlreadyExists', message, details);
    this.name = 'AlreadyExistsError';
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string, details?: StatusDetails) {
    super(404, 'NotFound', message, details);
    this.name = 'NotFoundError';
  }
}

/** The API server does not serve this apiVersion/kind (CRD not installed, typo). */
export class NoKindMatchError extends Error {
  constructor(readonly apiVersion: string, readonly kind: string) {
    super(`no matches for kind "${kind}" in version "${apiVersion}"`);
    this.name = 'NoKindMatchError';
  }
}

export const isConflict = (err: unknown): err is ConflictError => err instanceof ConflictError;
export const isNotFound = (err: unknown): err is NotFoundError => err instanceof NotFoundError;

/** A read's result, or undefined where the object does not exist (controller-runtime's IgnoreNotFound, for reads). */
export async function ignoreNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export const isAlreadyExists = (err: unknown): err is AlreadyExistsError => err instanceof AlreadyExistsError;

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  details?: StatusDetails;
}

/** Builds the right error class from an HTTP status code and a (possibly non-JSON) response body. */
export function errorFromResponse(code: number, body: string, what: string): ApiError {
  let status: StatusBody = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') status = parsed as StatusBody;
  } catch {
    // a proxy or a crashed server: keep the raw text, trimmed
  }
  const message = status.message ?? (body.trim().slice(0, 200) || `HTTP ${code}`);
  const full = `${what}: ${message}`;
  if (code === 404) return new NotFoundError(full, status.details);
  if (code === 409) {
    return status.reason === 'AlreadyExists' ? new AlreadyExistsError(full, status.details) : new ConflictError(full, status.details);
  }
  return new ApiError(code, status.reason ?? 'Unknown', full, status.details);
}
