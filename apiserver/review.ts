/** SubjectAccessReview and SelfSubjectAccessReview: ask the authorizer, answer in the object's status. */
import type { ServerResponse } from 'node:http';
import type { UserInfo } from './auth.js';
import { parseObjectBody, readBody, sendJson } from './http.js';
import type { RbacAuthorizer, RequestAttributes } from './rbac.js';
import type { ResourceRequest } from './rest.js';
import { badRequest } from './status.js';

interface ReviewSpec {
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  uid?: string;
  groups?: string[];
}

export async function serveAccessReview(r: ResourceRequest, requester: UserInfo, authorizer: RbacAuthorizer | undefined): Promise<void> {
  const body = parseObjectBody(r.req.headers['content-type'], await readBody(r.req));
  const spec = (body.spec ?? {}) as ReviewSpec;
  const self = r.info.kind === 'SelfSubjectAccessReview';
  const user: UserInfo = self ? requester : { name: spec.user ?? '', uid: spec.uid, groups: spec.groups ?? [] };
  if (!self && !user.name && user.groups.length === 0) throw badRequest('spec.user or spec.groups is required');
  let attrs: RequestAttributes;
  if (spec.resourceAttributes) {
    const a = spec.resourceAttributes;
    attrs = { verb: a.verb ?? '', resourceRequest: true, apiGroup: a.group ?? '', resource: a.resource ?? '', subresource: a.subresource || undefined, namespace: a.namespace || undefined, name: a.name || undefined, path: '' };
  } else if (spec.nonResourceAttributes) {
    attrs = { verb: spec.nonResourceAttributes.verb ?? '', resourceRequest: false, path: spec.nonResourceAttributes.path ?? '' };
  } else throw badRequest('exactly one of spec.resourceAttributes and spec.nonResourceAttributes must be set');
  const allowed = authorizer ? await authorizer.authorize(user, attrs) : true;
  const res: ServerResponse = r.res;
  sendJson(res, 201, {
    ...body, apiVersion: 'authorization.k8s.io/v1', kind: r.info.kind,
    metadata: { ...((body.metadata as object | undefined) ?? {}), creationTimestamp: null },
    status: { allowed, ...(allowed ? { reason: authorizer ? 'allowed by RBAC' : 'AlwaysAllow' } : {}) },
  });
}
