/**
 * The providers' simulated kubelets and controller-managers talk through the shared client layer (client/): a
 * RestClient per identity (one keep-alive pool each) and list+watch Informers. The object shape they read is here.
 */
import { Informer as SharedInformer, type InformerHandlers as SharedHandlers } from '../../client/informer.js';
import type { RestClient } from '../../client/rest-client.js';

export { RestClient as KubeClient } from '../../client/rest-client.js';
export { ApiError } from '../../client/errors.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export type InformerHandlers = SharedHandlers<KubeObject>;

/** The shared informer over the providers' object shape. */
export class Informer extends SharedInformer<KubeObject> {
  constructor(client: RestClient, path: string, handlers: InformerHandlers) {
    super(client, path, handlers);
  }
}
