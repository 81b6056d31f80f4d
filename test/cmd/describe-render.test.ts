/* eslint-disable no-control-regex -- these tests check the escape sequences a terminal receives */
/** `clusterd describe cluster`'s tree and table, from fixed objects and a fixed clock: golden files. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDescribe } from '../../cmd/describe.js';
import { buildTree } from '../../cmd/describe/tree.js';
import { humanDuration, renderTree } from '../../cmd/describe/render.js';
import { demoTree, NOW } from './fixtures.js';
import { assertGolden } from './golden.js';

test('describe: the default tree groups Machines in the same state and leaves other clusters out', () => {
  const out = formatDescribe(demoTree(), { colour: false, now: NOW });
  assertGolden('describe-default.txt', out);
  assert.match(out, /3 Machines\.\.\.\s+True.*See demo-workers-abc-11111, demo-workers-abc-22222, demo-workers-abc-33333/);
  assert.match(out, /2 Machines\.\.\./);
  assert.doesNotMatch(out, /other-0/);
  assert.doesNotMatch(out, /\u001b\[/, 'no colour when not asked');
});

test('describe: --no-grouping lists every Machine; --show-conditions Machine lists their conditions', () => {
  assertGolden('describe-no-grouping.txt', formatDescribe(demoTree(), { colour: false, now: NOW, grouping: false }));
  const out = formatDescribe(demoTree(), { colour: false, now: NOW, showConditions: ['machine'] });
  assertGolden('describe-show-conditions-machine.txt', out);
  assert.match(out, /Machine\/demo-control-plane-aaaaa[\s\S]*BootstrapReady[\s\S]*InfrastructureReady/);
  // Short names and plurals name the same kinds.
  assert.equal(formatDescribe(demoTree(), { colour: false, now: NOW, showConditions: ['ma'] }), out);
  assert.equal(formatDescribe(demoTree(), { colour: false, now: NOW, showConditions: ['Machines'] }), out);
  assert.match(formatDescribe(demoTree(), { colour: false, now: NOW, showConditions: ['md'] }), /MachineDeployment\/demo-workers.*\n.*├─Progressing/);
  assertGolden('describe-show-conditions-all.txt', formatDescribe(demoTree(), { colour: false, now: NOW, showConditions: ['all'] }));
});

test('describe: -o json and -o yaml carry the same rows as data', () => {
  const json = JSON.parse(formatDescribe(demoTree(), { colour: false, now: NOW, output: 'json' })) as { name: string; ready: string; children: { name: string }[] };
  assert.equal(json.name, 'Cluster/demo');
  assert.equal(json.ready, 'False');
  assert.deepEqual(json.children.map((c) => c.name), ['ClusterInfrastructure - inmemory', 'ControlPlane - v1.37.2 (2/3 ready)', 'Workers']);
  assertGolden('describe.yaml', formatDescribe(demoTree(), { colour: false, now: NOW, output: 'yaml' }));
});

test('describe: colour marks READY by status and severity, and leaves the layout unchanged', () => {
  const plain = renderTree(buildTree(demoTree()), { colour: false, now: NOW });
  const coloured = renderTree(buildTree(demoTree()), { colour: true, now: NOW });
  assert.equal(coloured.replace(/\u001b\[[0-9;]*m/g, ''), plain);
  assert.match(coloured, /\u001b\[31mFalse/, 'a False with severity Error is red');
  assert.match(coloured, /\u001b\[32mTrue/, 'True is green');
  assert.match(coloured, /\u001b\[36mFalse/, 'a False with severity Info is cyan');
});

test('describe: SINCE reads like kubectl durations', () => {
  assert.deepEqual([5, 59, 60, 125, 600, 3599, 3600, 7500, 86400, 90000].map((s) => humanDuration(s * 1000)),
    ['5s', '59s', '1m', '2m5s', '10m', '59m', '1h', '2h5m', '1d', '1d1h']);
});
