/**
 * OpenAPI v2 (/openapi/v2) and v3 (/openapi/v3, /openapi/v3/apis/<group>/<version>) documents for the served
 * resources, enough for `kubectl apply` (client-side validation and patch) and `kubectl explain`.
 * PLACEHOLDER: the real implementation replaces these bodies.
 */
import type { ResourceInfo } from '../types.js';

export function buildOpenApiV2(_resources: ResourceInfo[]): Record<string, unknown> {
  return { swagger: '2.0', info: { title: 'clusterd', version: 'v1' }, paths: {}, definitions: {} };
}

/** The /openapi/v3 discovery document: `{paths: {"apis/clusterd.dev/v1alpha1": {serverRelativeURL}}}`. */
export function buildOpenApiV3Discovery(_resources: ResourceInfo[]): Record<string, unknown> {
  return { paths: {} };
}

/** One group-version's OpenAPI v3 document, e.g. for path `apis/clusterd.dev/v1alpha1` or `api/v1`. */
export function buildOpenApiV3GroupVersion(_resources: ResourceInfo[], _gvPath: string): Record<string, unknown> | undefined {
  return undefined;
}
