/** The storage backends: one global revision, compare-and-swap, change feed, durability across reopen. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { openStorage, StorageError, type KObject, type Storage, type StorageEvent } from '../../apiserver/storage/index.js';
import { WatchCache } from '../../apiserver/watchcache.js';
import { tempDir } from './helpers.js';

const cm = (name: string, v = '1'): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data: { v } });
const key = (name: string, namespace = 'ns') => ({ resource: '/configmaps', namespace, name });

async function exercise(s: Storage): Promise<void> {
  const events: StorageEvent[] = [];
  const off = s.subscribe((e) => events.push(e));
  const start = s.currentRV();
  const a = await s.create(key('a'), cm('a'));
  assert.equal(a.metadata.resourceVersion, String(start + 1));
  await assert.rejects(s.create(key('a'), cm('a')), (e) => e instanceof StorageError && e.reason === 'AlreadyExists');
  const a2 = await s.update(key('a'), cm('a', '2'), start + 1);
  assert.equal(a2.metadata.resourceVersion, String(start + 2));
  await assert.rejects(s.update(key('a'), cm('a', '3'), start + 1), (e) => e instanceof StorageError && e.reason === 'Conflict');
  await s.create(key('b', 'other'), cm('b'));
  assert.deepEqual((await s.list('/configmaps', 'ns')).items.map((o) => o.metadata.name), ['a']);
  assert.equal((await s.list('/configmaps')).items.length, 2);
  const gone = await s.delete(key('a'));
  assert.equal(gone.metadata.resourceVersion, String(start + 4), 'a delete takes a revision of its own');
  assert.equal(await s.get(key('a')), undefined);
  await assert.rejects(s.delete(key('a')), (e) => e instanceof StorageError && e.reason === 'NotFound');
  assert.deepEqual(events.map((e) => `${e.type}:${e.key.name}:${e.rv}`), [`ADDED:a:${start + 1}`, `MODIFIED:a:${start + 2}`, `ADDED:b:${start + 3}`, `DELETED:a:${start + 4}`]);
  off();
}

test('memory storage', async () => {
  await exercise(openStorage({}));
});

test('SQLite storage keeps objects and the revision sequence across reopen', async () => {
  const dir = tempDir('apiserver-storage-');
  try {
    const dataDir = join(dir.path, 'data');
    let s = openStorage({ dataDir });
    await exercise(s);
    const rv = s.currentRV();
    s.close();
    s = openStorage({ dataDir, synchronous: 'FULL' });
    assert.equal(s.currentRV(), rv);
    assert.equal((await s.get(key('b', 'other')))?.metadata.resourceVersion, String(rv - 1));
    await s.delete(key('b', 'other'));
    await exercise(s);
    assert.equal(s.currentRV(), rv + 5);
    s.close();
  } finally {
    dir.remove();
  }
});

test('the watch cache replays after a revision and refuses revisions it no longer has', async () => {
  const s = openStorage({});
  const wc = new WatchCache(s, 3);
  for (let i = 0; i < 5; i++) await s.create(key(`o${i}`), cm(`o${i}`));
  assert.equal(wc.watch({ resource: '/configmaps', deliver: () => undefined }, 1), undefined, 'revision 1 was compacted away');
  const seen: number[] = [];
  const reg = wc.watch({ resource: '/configmaps', namespace: 'ns', deliver: (e) => seen.push(e.rv) }, 3)!;
  assert.deepEqual(reg.replay.map((e) => e.rv), [4, 5]);
  await s.create(key('o5'), cm('o5'));
  await s.create(key('x', 'elsewhere'), cm('x'));
  assert.deepEqual(seen, [6]);
  reg.stop();
  wc.close();
});
