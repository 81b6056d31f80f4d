import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../lib/paths.js';
import { eventually, httpGet } from './env.js';
import { ensureDead, freePort, spawnClusterd } from '../support/clusterd-process.js';

test('`clusterd run` with no kubeconfig: embedded API server, CRDs, kubeconfig for kubectl, clean exit on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clusterd-run-'));
  const [apiPort, probePort] = [await freePort(), await freePort()];
  const d = spawnClusterd(['run', '--data-dir', join(dir, 'state'), '--apiserver-port', String(apiPort), '--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', `127.0.0.1:${probePort}`]);
  try {
    const kubeconfig = join(dir, 'state', 'kubeconfig');
    await eventually('the kubeconfig', () => existsSync(kubeconfig), 45_000);
    assert.equal(statSync(kubeconfig).mode & 0o777, 0o600);
    const kubectl = (...args: string[]): string => execFileSync('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8', cwd: repoRoot() });
    assert.match(kubectl('get', 'ns'), /kube-system/);
    assert.match(kubectl('get', 'crd'), /clusters\.clusterd\.dev/);
    await eventually('ready', async () => (await httpGet(`http://127.0.0.1:${probePort}/readyz`)).status === 200, 20_000);
    await eventually('the next steps', () => d.output().includes('kubectl get cl,md,ma'));
    assert.match(d.output(), new RegExp(`export KUBECONFIG=${kubeconfig.replace(/[.]/g, '\\.')}`));
    assert.match(d.output(), /kubectl apply -f examples\/quickstart\.yaml/);
    // The quickstart is stored and comes back. (Client-side OpenAPI validation is the API server's own test.)
    kubectl('apply', '--validate=false', '-f', join(repoRoot(), 'examples', 'quickstart.yaml'));
    assert.match(kubectl('get', 'cl,md', '-n', 'default'), /demo/);

    d.child.kill('SIGTERM');
    const { code } = await d.exited;
    assert.equal(code, 0, d.output().slice(-2000));
    assert.match(d.output(), /"msg":"stopped"/);
  } finally {
    await ensureDead(d);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('`clusterd run` rejects bad flags with a message naming the flag', async () => {
  const cases = [
    [['--concurrency', '0'], /--concurrency must be an integer/],
    [['--metrics-bind-address', 'nohost'], /--metrics-bind-address/],
    [['--kubeconfig', '/nonexistent/kubeconfig'], /--kubeconfig: \/nonexistent\/kubeconfig does not exist/],
    [['--log-level', 'loud'], /--log-level/],
  ] as const;
  await Promise.all(cases.map(async ([args, re]) => {
    const d = spawnClusterd(['run', ...args]);
    const { code } = await d.exited;
    assert.notEqual(code, 0);
    assert.match(d.output(), re);
  }));
});
