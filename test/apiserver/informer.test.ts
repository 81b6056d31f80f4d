/**
 * An informer across many server-side watch timeouts (each one a reconnect from the last resourceVersion), and
 * across a 410 Gone (a re-list): no event is missed, none is repeated, the cache ends equal to the store.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CoreV1Api, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { eventually } from './helpers.js';

let server: RunningApiServer;

before(async () => {
  // Watches end every second, and only 20 events are kept: reconnects and re-lists happen all the time.
  server = await startApiServer({ port: 0, watchTimeoutSeconds: 1, watchCacheSize: 20 });
});

after(async () => {
  await server.close();
});

test('an informer stays exact across watch timeouts and 410 re-lists', async () => {
  const kc = server.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const versions = new Map<string, string>();
  const errors: unknown[] = [];
  let repeats = 0;
  const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
  const seen = (o: V1ConfigMap): void => {
    const name = o.metadata!.name!;
    if (versions.get(name) === o.data?.v) repeats++;
    versions.set(name, o.data?.v ?? '');
  };
  informer.on('add', seen);
  informer.on('update', seen);
  informer.on('delete', (o) => versions.delete(o.metadata!.name!));
  informer.on('error', (e) => errors.push(e));
  let connects = 0;
  informer.on('connect', () => connects++);
  await informer.start();
  try {
    const deadline = Date.now() + 5000;
    let i = 0;
    while (Date.now() < deadline) {
      const name = `cm-${i % 7}`;
      const v = String(i);
      try {
        await core.replaceNamespacedConfigMap({ name, namespace: 'default', body: { metadata: { name }, data: { v } } });
      } catch {
        await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name }, data: { v } } });
      }
      if (i % 11 === 5) await core.deleteNamespacedConfigMap({ name, namespace: 'default' });
      i++;
      // Bursts of more than the kept history now and then, so that some reconnects get 410 Gone.
      if (i % 50 === 0) for (let j = 0; j < 25; j++) await core.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { generateName: 'noise-' } } });
      await new Promise((r) => setTimeout(r, 5));
    }
    const truth = async (): Promise<Map<string, string>> =>
      new Map((await core.listNamespacedConfigMap({ namespace: 'default' })).items.map((o) => [o.metadata!.name!, o.data?.v ?? '']));
    const expected = await truth();
    await eventually(async () => JSON.stringify([...versions].sort()) === JSON.stringify([...expected].sort()), 10_000, 'the informer to converge');
    assert.equal(repeats, 0, 'no event was delivered twice');
    assert.ok(connects >= 3, `the informer reconnected ${connects} times`);
    assert.deepEqual(errors, []);
  } finally {
    await informer.stop();
  }
});
