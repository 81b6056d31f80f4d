/** metav1.Status bodies and the errors that carry them, in kube-apiserver's wording. */
import { statusForInvalid } from './schema/index.js';
import type { FieldError } from './types.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export type StatusReason =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid'
  | 'MethodNotAllowed' | 'NotAcceptable' | 'UnsupportedMediaType' | 'RequestEntityTooLarge' | 'Expired' | 'Gone'
  | 'InternalError' | 'Timeout' | 'TooManyRequests';

export class ApiError extends Error {
  constructor(readonly code: number, readonly reason: StatusReason, message: string, readonly details?: StatusDetails) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return statusBody(this.code, this.reason, this.message, this.details);
  }
}

export function statusBody(code: number, reason: StatusReason | undefined, message: string, details?: StatusDetails): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 400 ? 'Success' : 'Failure',
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
}

/** `widgets.example.com` or `namespaces`: the group-qualified resource kube-apiserver names in messages. */
export function qualified(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const notFound = (plural: string, group: string, name: string, kind?: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, { name, group, kind: kind ?? plural });

export const alreadyExists = (plural: string, group: string, name: string, kind?: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, { name, group, kind: kind ?? plural });

export const conflict = (plural: string, group: string, name: string, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": ${why}`, { name, group, kind: plural });

export const methodNotAllowed = (what: string): ApiError =>
  new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource${what ? ' (' + what + ')' : ''}`);

export const unsupportedMediaType = (contentType: string, accepted: string[]): ApiError =>
  new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format (${contentType || 'no Content-Type'}) - accepted media types include: ${accepted.join(', ')}`);

export const expired = (message: string): ApiError => new ApiError(410, 'Expired', message);

/** 422 Invalid: `Widget.example.com "w" is invalid: spec.replicas: Invalid value: -1: ...`, worded by the schema module. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  const body = statusForInvalid(kind, group, name, errors) as { message: string; details?: StatusDetails };
  return new ApiError(422, 'Invalid', body.message, body.details);
}
