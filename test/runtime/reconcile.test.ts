import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowestRequeue, runPhases, toResult, type Phase } from '../../runtime/reconcile.js';

test('results combine: the lowest non-zero requeueAfter wins, a requeue is kept', () => {
  assert.deepEqual(lowestRequeue({}, {}), {});
  assert.deepEqual(lowestRequeue({ requeueAfter: 5000 }, { requeueAfter: 1000 }), { requeueAfter: 1000 });
  assert.deepEqual(lowestRequeue({ requeueAfter: 0 }, { requeueAfter: 2000 }), { requeueAfter: 2000 });
  assert.deepEqual(lowestRequeue({ requeue: true }, { requeueAfter: 3000 }), { requeueAfter: 3000, requeue: true });
});

test('phases run in order; one that stops ends the list, and its requeue still counts', async () => {
  const ran: string[] = [];
  const phase = (name: string, out?: ReturnType<Phase<unknown>>): Phase<unknown> => () => {
    ran.push(name);
    return out;
  };
  const all = await runPhases(undefined, [phase('a', { requeueAfter: 5000 }), phase('b'), phase('c', { requeueAfter: 2000 })]);
  assert.deepEqual(ran, ['a', 'b', 'c']);
  assert.deepEqual(all, { requeueAfter: 2000, completed: true });

  ran.length = 0;
  const stopped = await runPhases(undefined, [phase('a', { requeueAfter: 1000 }), phase('b', { stop: true, requeueAfter: 3000 }), phase('c')]);
  assert.deepEqual(ran, ['a', 'b']);
  assert.deepEqual(stopped, { requeueAfter: 1000, completed: false });
  assert.deepEqual(toResult(stopped), { requeueAfter: 1000 });
});

test('a phase that throws ends the reconcile with its error', async () => {
  const ran: string[] = [];
  await assert.rejects(runPhases(ran, [(r) => void r.push('a'), () => Promise.reject(new Error('boom')), (r) => void r.push('c')]), /boom/);
  assert.deepEqual(ran, ['a']);
});
