import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SyncLoop } from '../../providers/shared/sync-loop.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('sync loop: one sync at a time; requests during a sync coalesce into exactly one more; stop waits for the running one', async () => {
  let running = 0;
  let most = 0;
  let runs = 0;
  const errors: unknown[] = [];
  const loop = new SyncLoop(async () => {
    running++;
    most = Math.max(most, running);
    runs++;
    await tick(50);
    running--;
    if (runs === 2) throw new Error('second sync fails');
  }, (err) => errors.push(err));
  loop.schedule(0);
  await tick(10);
  for (let i = 0; i < 5; i++) loop.schedule(0); // five requests while the first runs
  await tick(200);
  assert.equal(runs, 2, 'the five requests made one more sync');
  assert.equal(most, 1, 'never two syncs at once');
  assert.equal(errors.length, 1, 'a failed sync is reported, not thrown');
  loop.schedule(0);
  await tick(10);
  const stopped = loop.stop();
  assert.equal(running, 1, 'stop does not cut a running sync short');
  await stopped;
  assert.equal(running, 0, 'stop resolves once it has finished');
  loop.schedule(0);
  await tick(30);
  assert.equal(runs, 3, 'nothing runs after stop');
});
