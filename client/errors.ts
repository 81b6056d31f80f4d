/**
 * The one API error type of every client in clusterd (the runtime's dynamic client, the providers' kubelets and
 * controller-managers, the agent's typed client-node APIs), with kube-apiserver's Status details, told apart in
 * one place the way apimachinery's errors package does.
 */

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
    /** The Status message the server sent (without the request it answered), for messages of our own. */
    readonly serverMessage?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** An ApiError class for one code and reason, so that each reason is its own class (instanceof tells them apart). */
function reasonError(code: number, reason: string, name: string) {
  return class extends ApiError {
    constructor(message: string, details?: StatusDetails, serverMessage?: string) {
      super(code, reason, message, details, serverMessage);
      this.name = name;
    }
  };
}

/** 409 Conflict: the object changed since it was read (stale resourceVersion). Retry with a fresh read. */
export class ConflictError extends reasonError(409, 'Conflict', 'ConflictError') {}
/** 409 AlreadyExists: create of a name that is taken. */
export class AlreadyExistsError extends reasonError(409, 'AlreadyExists', 'AlreadyExistsError') {}
export class NotFoundError extends reasonError(404, 'NotFound', 'NotFoundError') {}

/** The API server does not serve this apiVersion/kind (CRD not installed, typo). */
export class NoKindMatchError extends Error {
  constructor(readonly apiVersion: string, readonly kind: string) {
    super(`no matches for kind "${kind}" in version "${apiVersion}"`);
    this.name = 'NoKindMatchError';
  }
}

export const isConflict = (err: unknown): err is ConflictError => err instanceof ConflictError;
export const isNotFound = (err: unknown): err is NotFoundError => err instanceof NotFoundError;
export const isAlreadyExists = (err: unknown): err is AlreadyExistsError => err instanceof AlreadyExistsError;
export const isForbidden = (err: unknown): err is ApiError => err instanceof ApiError && err.code === 403;
export const isGone = (err: unknown): err is ApiError => err instanceof ApiError && err.code === 410;
/** Either 409: a write raced another writer, or a create raced another create (kubeadm's apiclient retries both). */
export const isWriteConflict = (err: unknown): err is ApiError => isConflict(err) || isAlreadyExists(err);

/** The HTTP status of an API error, undefined for anything else (a refused connection, a timeout). */
export function statusCode(err: unknown): number | undefined {
  return err instanceof ApiError ? err.code : undefined;
}

/** A read's result, or undefined where the object does not exist (controller-runtime's IgnoreNotFound, for reads). */
export async function ignoreNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

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
  if (code === 404) return new NotFoundError(full, status.details, status.message);
  if (code === 409) {
    return status.reason === 'AlreadyExists' ? new AlreadyExistsError(full, status.details, status.message) : new ConflictError(full, status.details, status.message);
  }
  return new ApiError(code, status.reason ?? 'Unknown', full, status.details, status.message);
}

/**
 * client-node's generated APIs throw ApiException (code, body); as an ApiError it classifies like every other
 * client's. Anything else (a refused connection, a timeout) passes through unchanged.
 */
export function fromClientNode(err: unknown, what: string): unknown {
  if (err instanceof ApiError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'number' || code < 100 || code > 599) return err;
  const body = (err as { body?: unknown }).body;
  return errorFromResponse(code, typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body), what);
}

/** A message for an API error that names the object and status, never the object's body. */
export function describeApiError(err: unknown, what: string): Error {
  const code = statusCode(err);
  const reason = err instanceof ApiError ? err.serverMessage ?? '' : '';
  return new Error(`${what}: ${code ? `HTTP ${code}` : (err as Error).message}${reason ? `: ${reason}` : ''}`);
}
