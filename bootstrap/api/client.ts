/**
 * The agent's view of the new cluster's API: @kubernetes/client-node over verified TLS, create-or-update semantics as
 * kubeadm's apiclient package, and a dry-run twin that prints what it would send (Secret values redacted).
 */
import {
  AppsV1Api, type V1DaemonSet, type V1Deployment, type V1Service, CertificatesV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1ConfigMap, type V1Secret, type V1ServiceAccount,
  type V1Role, type V1RoleBinding, type V1ClusterRole, type V1ClusterRoleBinding,
} from '@kubernetes/client-node';
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

export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;
export const isForbidden = (err: unknown): boolean => statusCode(err) === 403;

/** A message for an API error that names the object and status, never the object's body. */
export function describeApiError(err: unknown, what: string): Error {
  const code = statusCode(err);
  const body = (err as { body?: unknown } | null)?.body;
  let reason = '';
  if (typeof body === 'string') {
    try {
      reason = String((JSON.parse(body) as { message?: string }).message ?? '');
    } catch {
      reason = '';
    }
  } else if (body && typeof body === 'object') reason = String((body as { message?: string }).message ?? '');
  return new Error(`${what}: ${code ? `HTTP ${code}` : (err as Error).message}${reason ? `: ${reason}` : ''}`);
}

export interface ObjectWriter {
  /** Create, or replace the existing object of the same name (kubeadm's CreateOrUpdate*). */
  apply(obj: KubeObject): Promise<void>;
  /** Create unless it exists (kubeadm's CreateOrRetain*). */
  ensure(obj: KubeObject): Promise<void>;
}

export class ClusterClient implements ObjectWriter {
  readonly core: CoreV1Api;
  readonly rbac: RbacAuthorizationV1Api;
  readonly certs: CertificatesV1Api;
  readonly apps: AppsV1Api;

  constructor(readonly kc: KubeConfig) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    this.certs = kc.makeApiClient(CertificatesV1Api);
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

  private async write(obj: KubeObject, replace: boolean): Promise<void> {
    const name = obj.metadata?.name ?? '';
    const namespace = obj.metadata?.namespace ?? '';
    const what = `${obj.kind} ${namespace ? `${namespace}/` : ''}${name}`;
    const ops = this.ops(obj, name, namespace);
    try {
      await ops.create();
      return;
    } catch (err) {
      if (isNotFound(err)) throw new NotServedError(`${what}: the API server does not serve ${obj.kind} objects`);
      if (!isConflict(err)) throw describeApiError(err, `creating ${what}`);
      if (!replace) return;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const current = await ops.read();
        obj.metadata = { ...obj.metadata, resourceVersion: current.metadata?.resourceVersion };
        await ops.replace();
        return;
      } catch (err) {
        if (isConflict(err) && attempt < 5) continue;
        throw describeApiError(err, `updating ${what}`);
      }
    }
  }

  private ops(obj: KubeObject, name: string, namespace: string): { create(): Promise<unknown>; read(): Promise<{ metadata?: { resourceVersion?: string } }>; replace(): Promise<unknown> } {
    switch (obj.kind) {
      case 'Secret':
        return { create: () => this.core.createNamespacedSecret({ namespace, body: obj }), read: () => this.core.readNamespacedSecret({ name, namespace }), replace: () => this.core.replaceNamespacedSecret({ name, namespace, body: obj }) };
      case 'ConfigMap':
        return { create: () => this.core.createNamespacedConfigMap({ namespace, body: obj }), read: () => this.core.readNamespacedConfigMap({ name, namespace }), replace: () => this.core.replaceNamespacedConfigMap({ name, namespace, body: obj }) };
      case 'ServiceAccount':
        return { create: () => this.core.createNamespacedServiceAccount({ namespace, body: obj }), read: () => this.core.readNamespacedServiceAccount({ name, namespace }), replace: () => this.core.replaceNamespacedServiceAccount({ name, namespace, body: obj }) };
      case 'Role':
        return { create: () => this.rbac.createNamespacedRole({ namespace, body: obj }), read: () => this.rbac.readNamespacedRole({ name, namespace }), replace: () => this.rbac.replaceNamespacedRole({ name, namespace, body: obj }) };
      case 'RoleBinding':
        return { create: () => this.rbac.createNamespacedRoleBinding({ namespace, body: obj }), read: () => this.rbac.readNamespacedRoleBinding({ name, namespace }), replace: () => this.rbac.replaceNamespacedRoleBinding({ name, namespace, body: obj }) };
      case 'ClusterRole':
        return { create: () => this.rbac.createClusterRole({ body: obj }), read: () => this.rbac.readClusterRole({ name }), replace: () => this.rbac.replaceClusterRole({ name, body: obj }) };
      case 'ClusterRoleBinding':
        return { create: () => this.rbac.createClusterRoleBinding({ body: obj }), read: () => this.rbac.readClusterRoleBinding({ name }), replace: () => this.rbac.replaceClusterRoleBinding({ name, body: obj }) };
      case 'Service':
        return { create: () => this.core.createNamespacedService({ namespace, body: obj }), read: () => this.core.readNamespacedService({ name, namespace }), replace: () => this.core.replaceNamespacedService({ name, namespace, body: obj }) };
      case 'DaemonSet':
        return { create: () => this.apps.createNamespacedDaemonSet({ namespace, body: obj }), read: () => this.apps.readNamespacedDaemonSet({ name, namespace }), replace: () => this.apps.replaceNamespacedDaemonSet({ name, namespace, body: obj }) };
      case 'Deployment':
        return { create: () => this.apps.createNamespacedDeployment({ namespace, body: obj }), read: () => this.apps.readNamespacedDeployment({ name, namespace }), replace: () => this.apps.replaceNamespacedDeployment({ name, namespace, body: obj }) };
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
