/**
 * The agent's view of the new cluster's API: @kubernetes/client-node over verified TLS, create-or-update semantics as
 * kubeadm's apiclient package, and a dry-run twin that prints what it would send (Secret values redacted).
 */
import {
  AppsV1Api, type V1DaemonSet, type V1Deployment, type V1Service, CertificatesV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, RbacAuthorizationV1Api, type V1ConfigMap, type V1Secret,
  type V1ServiceAccount, type V1Role, type V1RoleBinding, type V1ClusterRole, type V1ClusterRoleBinding,
} from '@kubernetes/client-node';
import { describeApiError, fromClientNode, isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import yaml from 'js-yaml';
import type { Printer } from '../context.js';

export type KubeObject =
  | ({ kind: 'Secret' } & V1Secret)
  | ({ kind: 'ConfigMap' } & V1ConfigMap)
  | ({ kind: 'ServiceAccount' } & V1ServiceAccount)
  | ({ kind: 'Role' } & V1Role)
  | ({ kind: 'RoleBinding' } & V1RoleBinding)
  | ({ kind: 'ClusterRole' } & V1ClusterRole)
  | ({ kind: 'ClusterRoleBinding' } & V1ClusterRoleBinding)
  | ({ kind: 'Service' } & V1Service)
  | ({ kind: 'DaemonSet' } & V1DaemonSet)
  | ({ kind: 'Deployment' } & V1Deployment);

/** The API server answered 404 to a create: it does not serve that kind (a namespace that is missing is a 404 too). */
export class NotServedError extends Error {}

// The agent classifies errors like every other client (client/errors.ts). Its isConflict is either 409: kubeadm's
// apiclient retries a create that raced another create as it retries a stale update.
export { describeApiError, isForbidden, isNotFound, isWriteConflict as isConflict, statusCode } from '../../client/errors.js';

export interface ObjectWriter {
  /** Create, or replace the existing object of the same name (kubeadm's CreateOrUpdate*). */
  apply(obj: KubeObject): Promise<void>;
  /** Create unless it exists (kubeadm's CreateOrRetain*). */
  ensure(obj: KubeObject): Promise<void>;
}

/** A client-node API whose failures are the client layer's ApiError (so isNotFound and friends classify them). */
function classified<A extends object>(api: A, name: string): A {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => (v as (...a: unknown[]) => Promise<unknown>).apply(target, args)
        .catch((err: unknown) => { throw fromClientNode(err, `${name}.${String(prop)}`); });
    },
  });
}

/** client-node's KubernetesObjectApi, which can also say whether the server serves a kind (from its cached discovery). */
class ObjectApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): ObjectApi {
    const api = kc.makeApiClient(ObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  async serves(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.resource(apiVersion, kind)) !== undefined;
  }
}

export class ClusterClient implements ObjectWriter {
  readonly core: CoreV1Api;
  readonly rbac: RbacAuthorizationV1Api;
  readonly certs: CertificatesV1Api;
  readonly apps: AppsV1Api;
  /** Any kind by apiVersion/kind, resolved through discovery (client-node's KubernetesObjectApi). */
  readonly objects: ObjectApi;

  constructor(readonly kc: KubeConfig) {
    this.apps = classified(kc.makeApiClient(AppsV1Api), 'apps');
    this.core = classified(kc.makeApiClient(CoreV1Api), 'core');
    this.rbac = classified(kc.makeApiClient(RbacAuthorizationV1Api), 'rbac');
    this.certs = classified(kc.makeApiClient(CertificatesV1Api), 'certificates');
    this.objects = classified(ObjectApi.forConfig(kc), 'objects');
  }

  static fromKubeconfig(text: string): ClusterClient {
    const kc = new KubeConfig();
    kc.loadFromString(text);
    return new ClusterClient(kc);
  }

  async apply(obj: KubeObject): Promise<void> {
    await this.write(obj, true);
  }

  async ensure(obj: KubeObject): Promise<void> {
    await this.write(obj, false);
  }

  /** kubeadm's apiclient: create; on AlreadyExists, read the current revision and replace (retried on Conflict). */
  private async write(obj: KubeObject, replace: boolean): Promise<void> {
    const name = obj.metadata?.name ?? '';
    const namespace = obj.metadata?.namespace ?? '';
    const what = `${obj.kind} ${namespace ? `${namespace}/` : ''}${name}`;
    const notServed = (): NotServedError => new NotServedError(`${what}: the API server does not serve ${obj.kind} objects`);
    const apiVersion = obj.apiVersion ?? 'v1';
    const served = await this.objects.serves(apiVersion, obj.kind).catch((err: unknown) => {
      if (isNotFound(err)) return false;
      throw describeApiError(err, `creating ${what}`);
    });
    if (!served) throw notServed();
    try {
      await this.objects.create(obj);
      return;
    } catch (err) {
      if (isNotFound(err)) throw notServed();
      if (!isAlreadyExists(err)) throw describeApiError(err, `creating ${what}`);
      if (!replace) return;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const current = await this.objects.read({ apiVersion, kind: obj.kind, metadata: { name, namespace: namespace || undefined } });
        obj.metadata = { ...obj.metadata, resourceVersion: current.metadata?.resourceVersion };
        await this.objects.replace(obj);
        return;
      } catch (err) {
        if (isConflict(err) && attempt < 5) continue;
        throw describeApiError(err, `updating ${what}`);
      }
    }
  }
}

/** Prints each object instead of sending it; Secret values are replaced so that dry-run output never leaks them. */
export class DryRunWriter implements ObjectWriter {
  constructor(private readonly out: Printer) {}

  async apply(obj: KubeObject): Promise<void> {
    this.print('CREATE (or UPDATE)', obj);
  }

  async ensure(obj: KubeObject): Promise<void> {
    this.print('CREATE (if absent)', obj);
  }

  private print(action: string, obj: KubeObject): void {
    const shown: KubeObject = obj.kind === 'Secret' && obj.data
      ? { ...obj, data: Object.fromEntries(Object.keys(obj.data).map((k) => [k, '<redacted>'])) }
      : obj;
    this.out.phase('dryrun', `Would perform action ${action} on ${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name ?? ''}`);
    this.out.line(yaml.dump(shown, { lineWidth: -1, noRefs: true }).trimEnd().split('\n').map((l) => `\t${l}`).join('\n'));
  }
}
