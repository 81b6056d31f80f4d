import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimitingQueue } from '../../runtime/queue/workqueue.js';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, type RateLimiter } from '../../runtime/queue/ratelimiter.js';

const zeroLimiter: RateLimiter<string> = { when: () => 0, forget() {}, numRequeues: () => 0 };

test('an item added many times while waiting is handed out once', async () => {
  const q = new RateLimitingQueue<string>({ rateLimiter: zeroLimiter });
  q.add('a');
  q.add('b');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 2);
  const first = await q.get();
  const second = await q.get();
  assert.deepEqual([first.item, second.item], ['a', 'b']);
  assert.equal(q.len(), 0);
  q.shutDown();
});

test('an item re-added while processing is not handed to a second worker, and is processed again after done', async () => {
  const q = new RateLimitingQueue<string>({ rateLimiter: zeroLimiter });
  q.add('x');
  const got = await q.get();
  assert.equal(got.item, 'x');
  q.add('x'); // e.g. a watch event during reconcile
  q.add('x');
  assert.equal(q.len(), 0, 'not queued while in flight');
  let second: string | undefined;
  const pending = q.get().then((r) => (second = r.item));
  await new Promise((r) => setImmediate(r));
  assert.equal(second, undefined, 'a second worker must not get x while x is processed');
  q.done('x');
  await pending;
  assert.equal(second, 'x');
  q.done('x');
  assert.equal(q.len(), 0, 'the two re-adds collapsed into one');
  q.shutDown();
});

test('keyOf de-duplicates structured requests', async () => {
  const q = new RateLimitingQueue<{ namespace: string; name: string }>({ keyOf: (r) => `${r.namespace}/${r.name}`, rateLimiter: { when: () => 0, forget() {}, numRequeues: () => 0 } });
  q.add({ namespace: 'ns', name: 'a' });
  q.add({ namespace: 'ns', name: 'a' });
  q.add({ namespace: 'other', name: 'a' });
  assert.equal(q.len(), 2);
  q.shutDown();
});

test('addAfter holds an item back, and the earliest request wins', async () => {
  const q = new RateLimitingQueue<string>({ rateLimiter: zeroLimiter });
  q.addAfter('late', 60_000);
  q.addAfter('soon', 60_000);
  q.addAfter('soon', 5); // earlier: replaces the 60 s timer
  assert.equal(q.len(), 0);
  assert.equal(q.delayed(), 2);
  const got = await q.get();
  assert.equal(got.item, 'soon');
  assert.equal(q.delayed(), 1);
  q.shutDown();
  assert.equal(q.delayed(), 0, 'shutdown drops delayed items (and their timers)');
});

test('shutDown releases waiting getters and refuses new items; drained waits for in-flight work', async () => {
  const q = new RateLimitingQueue<string>({ rateLimiter: zeroLimiter });
  q.add('busy');
  await q.get();
  const waiter = q.get();
  q.shutDown();
  assert.deepEqual(await waiter, { item: undefined, shutdown: true });
  q.add('new');
  assert.equal(q.len(), 0);
  let drained = false;
  const d = q.drained().then(() => (drained = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false, 'busy is still in flight');
  q.done('busy');
  await d;
  assert.equal(drained, true);
});

test('per-item exponential back-off doubles from 5 ms and is capped at 1000 s; forget resets it', () => {
  const rl = new ItemExponentialFailureRateLimiter<string>();
  const delays = Array.from({ length: 5 }, () => rl.when('a'));
  assert.deepEqual(delays, [5, 10, 20, 40, 80]);
  assert.equal(rl.when('b'), 5, 'items back off independently');
  assert.equal(rl.numRequeues('a'), 5);
  for (let i = 0; i < 40; i++) rl.when('a');
  assert.equal(rl.when('a'), 1000_000);
  rl.forget('a');
  assert.equal(rl.numRequeues('a'), 0);
  assert.equal(rl.when('a'), 5);
});

test('the bucket limiter allows a burst, then spaces items at 1/qps', () => {
  let now = 0;
  const rl = new BucketRateLimiter<string>(10, 3, () => now);
  assert.deepEqual([rl.when('a'), rl.when('b'), rl.when('c')], [0, 0, 0]);
  assert.equal(rl.when('d'), 100);
  assert.equal(rl.when('e'), 200);
  now = 1000; // refilled up to the burst
  assert.equal(rl.when('f'), 0);
});

test('the default controller limiter takes the longer of per-item back-off and the bucket', () => {
  let now = 0;
  const rl = new MaxOfRateLimiter<string>(new ItemExponentialFailureRateLimiter<string>(5, 1000_000), new BucketRateLimiter<string>(10, 1, () => now));
  assert.equal(rl.when('a'), 5);
  assert.equal(rl.when('a'), 100, 'the bucket is empty: 100 ms beats the 10 ms back-off');
  now = 10_000;
  assert.equal(rl.when('a'), 20);
  assert.equal(rl.numRequeues('a'), 3);
  rl.forget('a');
  assert.equal(rl.numRequeues('a'), 0);
});

test('addRateLimited applies the back-off and counts retries', async () => {
  let retries = 0;
  const q = new RateLimitingQueue<string>({
    rateLimiter: new ItemExponentialFailureRateLimiter<string>(1, 1000),
    metrics: { add() {}, depth() {}, queueLatency() {}, workDuration() {}, retry: () => retries++ },
  });
  q.addRateLimited('r');
  q.addRateLimited('r');
  assert.equal(q.numRequeues('r'), 2);
  assert.equal(retries, 2);
  const got = await q.get();
  assert.equal(got.item, 'r');
  q.forget('r');
  assert.equal(q.numRequeues('r'), 0);
  q.shutDown();
});

test('rate limiter options are validated', () => {
  assert.throws(() => new ItemExponentialFailureRateLimiter(0), /baseDelayMs/);
  assert.throws(() => new BucketRateLimiter(0), /qps/);
});
