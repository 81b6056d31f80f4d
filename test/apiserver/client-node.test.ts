/** The API server through @kubernetes/client-node: CRUD, optimistic concurrency, pagination, watch and informers. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CoreV1Api, CustomObjectsApi, ApiextensionsV1Api, makeInformer, Watch, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { eventually, WIDGET_CRD } from './helpers.js';

let server: RunningApiServer;
let kc: KubeConfig;
let core: CoreV1Api;

before(async () => {
  server = await startApiServer({ port: 0, watchCacheSize: 50, bookmarkIntervalMs: 200 });
  kc = server.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
});

after(async () => {
  await server.close();
});

const statusCode = (e: unknown): number | undefined => (e as { code?: number }).code;

test('CRUD on a ConfigMap with server-set metadata', async () => {
  const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'c1', labels: { app: 'x' } }, data: { a: '1' } } });
  assert.ok(created.metadata?.uid);
  assert.ok(created.metadata?.creationTimestamp);
  assert.match(created.metadata?.resourceVersion ?? '', /^\d+$/);
  const got = await core.readNamespacedConfigMap({ name: 'c1', namespace: 'default' });
  assert.deepEqual(got.data, { a: '1' });
  got.data = { a: '2' };
  const replaced = await core.replaceNamespacedConfigMap({ name: 'c1', namespace: 'default', body: got });
  assert.ok(Number(replaced.metadata?.resourceVersion) > Number(created.metadata?.resourceVersion));
  await core.deleteNamespacedConfigMap({ name: 'c1', namespace: 'default' });
  await assert.rejects(core.readNamespacedConfigMap({ name: 'c1', namespace: 'default' }), (e) => statusCode(e) === 404);
  const gen = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'gen-' } } });
  assert.match(gen.metadata?.name ?? '', /^gen-[a-z0-9]{5}$/);
  await assert.rejects(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Not_DNS' } } }), (e) => statusCode(e) === 422);
  await assert.rejects(core.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }), (e) => statusCode(e) === 404);
});

test('events.k8s.io/v1 and core/v1 Events are one store seen two ways', async () => {
  const { EventsV1Api } = await import('@kubernetes/client-node');
  const ev = kc.makeApiClient(EventsV1Api);
  await ev.createNamespacedEvent({ namespace: 'default', body: {
    metadata: { name: 'e1' }, eventTime: new Date(), reportingController: 'clusterd.dev/test', reportingInstance: 'i1',
    action: 'Reconcile', reason: 'Created', type: 'Normal', note: 'made a thing', regarding: { kind: 'ConfigMap', name: 'thing', namespace: 'default' },
  } });
  const core1 = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=thing,involvedObject.kind=ConfigMap' });
  assert.equal(core1.items.length, 1);
  assert.equal(core1.items[0]!.message, 'made a thing');
  assert.equal(core1.items[0]!.reportingComponent, 'clusterd.dev/test');
  const back = await ev.readNamespacedEvent({ name: 'e1', namespace: 'default' });
  assert.equal(back.note, 'made a thing');
  assert.equal(back.regarding?.name, 'thing');
});

test('a stale resourceVersion gets 409 Conflict', async () => {
  const v1 = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'occ' }, data: { n: '0' } } });
  await core.replaceNamespacedConfigMap({ name: 'occ', namespace: 'default', body: { ...v1, data: { n: '1' } } });
  await assert.rejects(
    core.replaceNamespacedConfigMap({ name: 'occ', namespace: 'default', body: { ...v1, data: { n: 'stale' } } }),
    (e) => statusCode(e) === 409 && /the object has been modified/.test(String((e as { body?: string }).body)),
  );
  await assert.rejects(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'occ' } } }), (e) => statusCode(e) === 409);
});

test('pagination with limit and continue, and label selectors', async () => {
  for (let i = 0; i < 25; i++) {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `page-${String(i).padStart(2, '0')}`, labels: { page: 'yes', parity: i % 2 ? 'odd' : 'even' } } } });
  }
  const names: string[] = [];
  let cont: string | undefined;
  let pages = 0;
  do {
    const l = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'page=yes', limit: 10, _continue: cont });
    names.push(...l.items.map((i) => i.metadata!.name!));
    cont = l.metadata?._continue;
    pages++;
  } while (cont);
  assert.equal(pages, 3);
  assert.equal(names.length, 25);
  assert.equal(new Set(names).size, 25);
  const odd = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'page in (yes),parity!=even' });
  assert.equal(odd.items.length, 12);
  const one = await core.listNamespacedConfigMap({ namespace: 'default', fieldSelector: 'metadata.name=page-03' });
  assert.deepEqual(one.items.map((i) => i.metadata?.name), ['page-03']);
  await assert.rejects(core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'a in (' }), (e) => statusCode(e) === 400);
});

test('an informer sees every matching change exactly once', async () => {
  const added: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/default/configmaps',
    () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'inf=yes' }), 'inf=yes');
  informer.on('add', (o) => added.push(o.metadata!.name!));
  informer.on('update', (o) => updated.push(`${o.metadata!.name}:${o.data?.v}`));
  informer.on('delete', (o) => deleted.push(o.metadata!.name!));
  await informer.start();
  try {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'i1', labels: { inf: 'yes' } }, data: { v: '1' } } });
    await core.patchNamespacedConfigMap({ name: 'i1', namespace: 'default', body: [{ op: 'replace', path: '/data/v', value: '2' }] });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'ignored' } } });
    await core.deleteNamespacedConfigMap({ name: 'i1', namespace: 'default' });
    await eventually(async () => deleted.includes('i1'), 10_000, 'the delete event');
    assert.deepEqual(added, ['i1']);
    assert.deepEqual(updated, ['i1:2']);
    assert.deepEqual(deleted, ['i1']);
  } finally {
    await informer.stop();
  }
});

test('watch from an old resourceVersion answers 410 Expired; bookmarks arrive', async () => {
  const start = server.storage.currentRV();
  for (let i = 0; i < 60; i++) await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `churn-${i}` } } });
  const watch = new Watch(kc);
  const err = await new Promise<unknown>((resolve) => {
    void watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: String(start) }, () => undefined, resolve);
  });
  assert.equal((err as { statusCode?: number }).statusCode, 410);
  const types: string[] = [];
  let req: AbortController | undefined;
  await new Promise<void>((resolve) => {
    void watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: String(server.storage.currentRV()), allowWatchBookmarks: true, timeoutSeconds: 2 }, (type) => {
      types.push(type);
    }, () => resolve()).then((r) => (req = r));
  });
  req?.abort();
  assert.ok(types.includes('BOOKMARK'), `got ${types.join(',')}`);
});

test('custom resources: created CRDs are served at once, validated, and their objects go with them', async () => {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const crd = yaml.load(WIDGET_CRD) as Parameters<ApiextensionsV1Api['createCustomResourceDefinition']>[0]['body'];
  const created = await ext.createCustomResourceDefinition({ body: crd });
  assert.ok(created.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
  const co = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: 'test.clusterd.dev', version: 'v1', namespace: 'default', plural: 'widgets' };
  const w = (await co.createNamespacedCustomObject({ ...ref, body: { apiVersion: 'test.clusterd.dev/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { color: 'red', replicas: 1 }, status: { replicas: 9 } } })) as { metadata: { generation: number }; status?: unknown };
  assert.equal(w.metadata.generation, 1);
  assert.equal(w.status, undefined, 'status is not set through the main resource');
  await co.replaceNamespacedCustomObjectStatus({ ...ref, name: 'w', body: { apiVersion: 'test.clusterd.dev/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { color: 'blue' }, status: { replicas: 1 } } });
  const after = (await co.getNamespacedCustomObject({ ...ref, name: 'w' })) as { spec: { color: string }; status: { replicas: number }; metadata: { generation: number } };
  assert.equal(after.spec.color, 'red', 'a status write leaves spec alone');
  assert.equal(after.status.replicas, 1);
  assert.equal(after.metadata.generation, 1, 'status writes do not bump generation');
  await assert.rejects(co.createNamespacedCustomObject({ ...ref, body: { apiVersion: 'test.clusterd.dev/v1', kind: 'Widget', metadata: { name: 'bad' }, spec: { color: 'red', replicas: -1 } } }),
    (e) => statusCode(e) === 422 && /spec\.replicas: Invalid value: -1/.test(String((e as { body?: string }).body)));
  await assert.rejects(co.createNamespacedCustomObject({ ...ref, body: { apiVersion: 'test.clusterd.dev/v2', kind: 'Widget', metadata: { name: 'v2' }, spec: { color: 'red' } } }),
    (e) => statusCode(e) === 400);
  await ext.deleteCustomResourceDefinition({ name: 'widgets.test.clusterd.dev' });
  await assert.rejects(co.listNamespacedCustomObject(ref), (e) => statusCode(e) === 404);
  assert.equal((await server.storage.list('test.clusterd.dev/widgets')).items.length, 0);
});
