/**
 * The REST verbs on resources: get, list, create, update, patch, delete and deletecollection, with their
 * subresources (status, scale, approval, finalize). Each verb lives in handlers/, one file per verb as
 * kube-apiserver's endpoints/handlers; watches live in watch.ts.
 */
import type { Negotiated } from './http.js';
import { createResource } from './handlers/create.js';
import { deleteCollection, deleteResource } from './handlers/delete.js';
import { getResource } from './handlers/get.js';
import { listResource } from './handlers/list.js';
import { patchResource } from './handlers/patch.js';
import type { ResourceRequest, RestContext } from './handlers/scope.js';
import { updateResource } from './handlers/update.js';

export class Rest {
  constructor(private readonly ctx: RestContext) {}

  get(r: ResourceRequest, neg: Negotiated): Promise<void> { return getResource(this.ctx, r, neg); }
  list(r: ResourceRequest, neg: Negotiated): Promise<void> { return listResource(this.ctx, r, neg); }
  create(r: ResourceRequest): Promise<void> { return createResource(this.ctx, r); }
  update(r: ResourceRequest): Promise<void> { return updateResource(this.ctx, r); }
  patch(r: ResourceRequest): Promise<void> { return patchResource(this.ctx, r); }
  delete(r: ResourceRequest): Promise<void> { return deleteResource(this.ctx, r); }
  deleteCollection(r: ResourceRequest): Promise<void> { return deleteCollection(this.ctx, r); }
}

export type { ResourceRequest, RestContext } from './handlers/scope.js';
