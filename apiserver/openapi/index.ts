/**
 * OpenAPI v2 (/openapi/v2) and v3 (/openapi/v3, /openapi/v3/apis/<group>/<version>) documents for the served
 * resources, enough for `kubectl explain`, and for kubectl's check that the server validates fields
 * (the `fieldValidation` query parameter on PATCH operations, looked up by x-kubernetes-group-version-kind).
 */
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../types.js';
import { kindDefinitions, refTo, type Flavour } from './kind-schemas.js';
import { metaDefinitions } from './meta-definitions.js';
import { resourcePaths } from './paths.js';

type Doc = Record<string, unknown>;
const INFO = { title: 'Kubernetes', version: 'v1.32.0' };

function gvPath(r: ResourceInfo): string {
  return r.group ? `apis/${r.group}/${r.version}` : 'api/v1';
}

function build(resources: ResourceInfo[], flavour: Flavour): { paths: Doc; schemas: Doc } {
  const paths: Doc = {};
  const schemas: Doc = metaDefinitions((name) => refTo(flavour, name));
  for (const r of resources) {
    Object.assign(paths, resourcePaths(r, flavour));
    Object.assign(schemas, kindDefinitions(r, flavour));
  }
  return { paths, schemas };
}

export function buildOpenApiV2(resources: ResourceInfo[]): Record<string, unknown> {
  const { paths, schemas } = build(resources, 'v2');
  return {
    swagger: '2.0',
    info: INFO,
    paths,
    definitions: schemas,
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } },
    security: [{ BearerToken: [] }],
  };
}

/** One group-version's OpenAPI v3 document, e.g. for path `apis/clusterd.dev/v1alpha1` or `api/v1`. */
export function buildOpenApiV3GroupVersion(resources: ResourceInfo[], gv: string): Record<string, unknown> | undefined {
  const wanted = gv.replace(/^\/+|\/+$/g, '');
  const mine = resources.filter((r) => gvPath(r) === wanted);
  if (mine.length === 0) return undefined;
  const { paths, schemas } = build(mine, 'v3');
  return {
    openapi: '3.0.0',
    info: INFO,
    paths,
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

/** A content hash for the `?hash=` of serverRelativeURL, so kubectl's cache notices a changed CRD schema. */
export function openApiV3Hash(doc: Record<string, unknown>): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase().slice(0, 128);
}

/** The /openapi/v3 discovery document: `{paths: {"apis/clusterd.dev/v1alpha1": {serverRelativeURL}}}`. */
export function buildOpenApiV3Discovery(resources: ResourceInfo[]): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of new Set(resources.map(gvPath))) {
    const doc = buildOpenApiV3GroupVersion(resources, gv);
    if (doc) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${openApiV3Hash(doc)}` };
  }
  return { paths };
}
