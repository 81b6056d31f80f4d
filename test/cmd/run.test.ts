/**
 * `clusterd run` as the README has a newcomer use it: start it, export the KUBECONFIG its banner prints, stop it,
 * start it again in the same shell. And its logs: readable on a terminal, JSON when piped or asked for.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ensureDead, freePort, spawnClusterd, type Daemon } from '../support/clusterd-process.js';
import { eventually } from '../support/eventually.js';
import { startCli, stripAnsi } from '../support/cli-process.js';
import { duplicateKeys } from '../support/json-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'clusterd-run-'));
const daemons: Daemon[] = [];
after(async () => {
  await Promise.all(daemons.map(ensureDead));
  rmSync(dir, { recursive: true, force: true });
});

async function startAndStop(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const d = spawnClusterd(['run', ...args], env);
  daemons.push(d);
  await eventually('the banner', () => d.output().includes('export KUBECONFIG='), 60_000);
  d.child.kill('SIGTERM');
  const exit = await d.exited;
  assert.equal(exit.code, 0, d.output());
  return d.output();
}

test('restarting clusterd run with its own kubeconfig exported starts the embedded server again', async () => {
  const dataDir = join(dir, 'a');
  const port = await freePort();
  const args = ['--data-dir', dataDir, '--apiserver-port', String(port), '--metrics-bind-address', '0', '--health-probe-bind-address', '0'];
  const first = await startAndStop(args, {});
  const exported = /export KUBECONFIG=(\S+)/.exec(first)![1]!;
  assert.equal(exported, join(dataDir, 'kubeconfig'));
  // The same shell: KUBECONFIG now names the daemon's own kubeconfig, whose server is down until it starts.
  const second = await startAndStop(args, { KUBECONFIG: exported });
  assert.match(second, /the kubeconfig given is this daemon's own: starting the embedded API server again/);
  assert.match(second, new RegExp(`Your clusterd control plane is running at https://127.0.0.1:${port}`));
  // Also when it is named relatively, as `export KUBECONFIG=.clusterd/kubeconfig` would.
  const d = spawnClusterd(['run', ...args, '--kubeconfig', join(dataDir, '..', 'a', 'kubeconfig')]);
  daemons.push(d);
  await eventually('the banner again', () => d.output().includes('export KUBECONFIG='), 60_000);
  d.child.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);
});

test('a kubeconfig whose API server does not answer fails within seconds, exit 4, saying what to do', async () => {
  const port = await freePort();
  const stale = join(dir, 'stale.kubeconfig');
  writeFileSync(stale, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`);
  const started = Date.now();
  const d = spawnClusterd(['run', '--data-dir', join(dir, 'b'), '--metrics-bind-address', '0', '--health-probe-bind-address', '0'], { KUBECONFIG: stale });
  daemons.push(d);
  const exit = await d.exited;
  assert.equal(exit.code, 4, d.output());
  assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  assert.match(d.output(), new RegExp(`error: the API server https://127.0.0.1:${port} \\(from KUBECONFIG=${stale}\\) does not answer: connect ECONNREFUSED 127.0.0.1:${port}\\. Start that cluster, or run \`unset KUBECONFIG\``));
  assert.doesNotMatch(d.output(), /manager started/);
});

test('logs: readable lines on a terminal, JSON with --log-format json or when piped, never a key twice', async () => {
  const port = await freePort();
  const args = ['run', '--data-dir', join(dir, 'c'), '--apiserver-port', String(port), '--metrics-bind-address', '0', '--health-probe-bind-address', '0'];
  const pretty = startCli(args, { tty: true });
  // The four controllers start in turn: wait for the last one.
  await eventually('pretty logs', () => /manager started/.test(pretty.output()) && /machinedeployment +starting workers/.test(stripAnsi(pretty.output())), 60_000);
  pretty.kill('SIGTERM');
  await pretty.result;
  const screen = stripAnsi(pretty.output());
  assert.doesNotMatch(screen, /\{"level"/, 'no JSON on a terminal');
  assert.match(screen, /^\d\d:\d\d:\d\d\.\d{3} {2}INFO {3}apiserver +API server listening {2}url=https:\/\/127\.0\.0\.1:\d+/m);
  assert.match(screen, /^\d\d:\d\d:\d\d\.\d{3} {2}INFO {3}machinedeployment {2}starting workers {2}workers=1/m);
  assert.match(pretty.output(), /\u001b\[32mINFO/, 'levels in colour on a terminal'); // eslint-disable-line no-control-regex

  const json = startCli([...args, '--log-format', 'json'], { tty: true });
  await eventually('JSON logs', () => /"msg":"manager started"/.test(json.output()) && /"controller":"machinedeployment","workers":1,"msg":"starting workers"/.test(json.output()), 60_000);
  json.kill('SIGTERM');
  await json.result;
  const lines = json.output().split(/\r?\n/).filter((l) => l.startsWith('{'));
  assert.ok(lines.length >= 5);
  for (const l of lines) {
    const rec = JSON.parse(l) as Record<string, unknown>;
    assert.equal(typeof rec.msg, 'string');
    assert.deepEqual(duplicateKeys(l), [], `a key twice in: ${l}`);
  }
});

test('duplicateKeys finds a repeated key and only at the top level', () => {
  assert.deepEqual(duplicateKeys('{"informer":"a","x":{"informer":"b"},"informer":"c"}'), ['informer']);
  assert.deepEqual(duplicateKeys('{"a":"\\"a\\":","b":[{"a":1}]}'), []);
});
