import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Expectations, viewOf } from '../../runtime/expectations.js';

const obj = (name: string, extra: { generation?: number; deletionTimestamp?: string } = {}) => ({ metadata: { name, ...extra } });

test('a create is expected until the cache shows the object', () => {
  const e = new Expectations();
  e.expectCreate('ns/owner', 'a', 0);
  assert.equal(e.satisfied('ns/owner', viewOf([]), 1), false);
  assert.equal(e.satisfied('ns/other', viewOf([]), 1), true, 'another owner waits for nothing');
  assert.equal(e.satisfied('ns/owner', viewOf([obj('a')]), 2), true);
  assert.equal(e.satisfied('ns/owner', viewOf([]), 3), true, 'observed expectations are forgotten');
});

test('a delete is expected until the object is gone or marked for deletion', () => {
  const e = new Expectations();
  e.expectDelete('o', 'a', 0);
  e.expectDelete('o', 'b', 0);
  assert.equal(e.satisfied('o', viewOf([obj('a'), obj('b')]), 1), false);
  assert.equal(e.satisfied('o', viewOf([obj('a', { deletionTimestamp: '2026-01-01T00:00:00Z' }), obj('b')]), 1), false, 'b still there');
  assert.equal(e.satisfied('o', viewOf([]), 1), true);
});

test('a spec write is expected until the cache shows its generation', () => {
  const e = new Expectations();
  e.expectGeneration('o', 'ms', 3, 0);
  assert.equal(e.satisfied('o', viewOf([obj('ms', { generation: 2 })]), 1), false, 'a stale copy');
  assert.equal(e.satisfied('o', viewOf([obj('ms', { generation: 3 })]), 1), true);
});

test('expectations time out, and forget drops them', () => {
  const e = new Expectations(1000);
  e.expectCreate('o', 'a', 0);
  assert.equal(e.satisfied('o', viewOf([]), 999), false);
  assert.equal(e.satisfied('o', viewOf([]), 1000), true, 'the event is taken to be missed');
  e.expectCreate('o', 'b', 2000);
  e.forget('o');
  assert.equal(e.satisfied('o', viewOf([]), 2001), true);
});
