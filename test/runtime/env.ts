/** A real API server over HTTPS for runtime tests (the embedded one), plus a test CRD with a status subresource. */
import type { KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { Client } from '../../runtime/client.js';
import { createOrUpdate, waitForCRDsEstablished } from '../../runtime/install.js';
import type { KubeObject } from '../../runtime/types.js';
import { eventually as baseEventually } from '../support/eventually.js';

export const WIDGET = { apiVersion: 'test.clusterd.dev/v1', kind: 'Widget' } as const;

export const widgetCRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.test.clusterd.dev' },
  spec: {
    group: 'test.clusterd.dev',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [{
      name: 'v1', served: true, storage: true,
      subresources: { status: {} },
      schema: { openAPIV3Schema: { type: 'object', properties: {
        spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      } } },
    }],
  },
};

export interface TestEnv {
  server: RunningApiServer;
  kc: KubeConfig;
  client: Client;
  installWidgetCRD(): Promise<void>;
  close(): Promise<void>;
}

export async function startEnv(opts: { widgets?: boolean } = {}): Promise<TestEnv> {
  const server = await startApiServer({ port: 0 });
  const kc = server.kubeConfig();
  const client = new Client(kc);
  const env: TestEnv = {
    server,
    kc,
    client,
    async installWidgetCRD() {
      await createOrUpdate(client, [structuredClone(widgetCRD)]);
      await waitForCRDsEstablished(client, [widgetCRD.metadata.name!]);
    },
    async close() {
      client.close();
      await server.close();
    },
  };
  if (opts.widgets ?? true) await env.installWidgetCRD();
  return env;
}

/** {@link baseEventually} with this folder's defaults. */
export function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  return baseEventually(what, fn, timeoutMs, 50);
}

export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}
