/* eslint-disable no-control-regex -- the escape sequences a terminal receives are what is checked */
/** Readable log lines on a terminal, JSON otherwise: the formatter and the choice between them. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { formatLogLine } from '../../lib/log-format.js';
import { newLogger, resolveLogFormat } from '../../lib/logging.js';

const line = (o: Record<string, unknown>): string => JSON.stringify({ level: 30, time: '2026-11-30T12:04:05.123Z', logger: 'clusterd', ...o }) + '\n';

test('a reconcile line reads: time, level, controller, namespace/name, message, then the other fields', () => {
  const out = formatLogLine(line({ controller: 'machine', namespace: 'default', name: 'demo-cp-x', reconcileID: 'r1', role: 'join', msg: 'bootstrap data rendered' }), { colour: false });
  assert.equal(out, '12:04:05.123  INFO   machine            default/demo-cp-x  bootstrap data rendered  reconcileID=r1 role=join\n');
});

test('components, quoting, errors with their stack at error level, and lines that are not JSON', () => {
  assert.equal(formatLogLine(line({ component: 'apiserver', url: 'https://127.0.0.1:6443', msg: 'API server listening' }), { colour: false }),
    '12:04:05.123  INFO   apiserver          API server listening  url=https://127.0.0.1:6443\n');
  assert.equal(formatLogLine(line({ level: 40, msg: 'slow', note: 'two words', n: 3, list: ['a'] }), { colour: false }),
    '12:04:05.123  WARN   clusterd           slow  note="two words" n=3 list=["a"]\n');
  const err = formatLogLine(line({ level: 50, controller: 'cluster', msg: 'reconcile failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (x.js:1:1)\n    at g (y.js:2:2)' } }), { colour: false });
  assert.equal(err, '12:04:05.123  ERROR  cluster            reconcile failed  err=boom\n    at f (x.js:1:1)\n    at g (y.js:2:2)\n');
  // A provider's line names the provider; its sub-component, when it has one, speaks instead.
  assert.equal(formatLogLine(line({ provider: 'inmemory', machine: 'm-1', msg: 'machine created' }), { colour: false }),
    '12:04:05.123  INFO   inmemory           machine created  machine=m-1\n');
  assert.equal(formatLogLine(line({ provider: 'inmemory', component: 'kube-apiserver', msg: 'up' }), { colour: false }),
    '12:04:05.123  INFO   kube-apiserver     up  provider=inmemory\n');
  assert.equal(formatLogLine('not json', { colour: false }), 'not json\n');
  const coloured = formatLogLine(line({ level: 50, msg: 'x' }), { colour: true });
  assert.match(coloured, /\u001b\[31mERROR/);
});

test('auto is pretty on a TTY and JSON otherwise; --log-format and CLUSTERD_LOG_FORMAT override it', () => {
  assert.equal(resolveLogFormat('auto', true, {}), 'pretty');
  assert.equal(resolveLogFormat('auto', false, {}), 'json');
  assert.equal(resolveLogFormat('json', true, {}), 'json');
  assert.equal(resolveLogFormat('pretty', false, {}), 'pretty');
  assert.equal(resolveLogFormat('auto', true, { CLUSTERD_LOG_FORMAT: 'json' }), 'json');
  assert.equal(resolveLogFormat(undefined, false, { CLUSTERD_LOG_FORMAT: 'bogus' }), 'json');
});

test('the logger writes JSON to a pipe and readable lines to a terminal, secrets redacted in both', () => {
  delete process.env.NO_COLOR; // colour is the point on the terminal here, whatever the runner's environment says
  for (const tty of [false, true]) {
    const out = Object.assign(new PassThrough(), { isTTY: tty });
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const log = newLogger({ out, format: 'auto' }).child({ controller: 'cluster' });
    log.info({ namespace: 'default', name: 'demo', privateKey: 'PRIVATE' }, 'hello');
    assert.doesNotMatch(text, /PRIVATE/);
    if (tty) assert.match(text, /^\u001b\[2m\d\d:\d\d:\d\d\.\d{3}\u001b\[0m {2}\u001b\[32mINFO /);
    else assert.equal((JSON.parse(text) as { msg: string }).msg, 'hello');
  }
});
