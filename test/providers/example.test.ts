import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../lib/logging.js';
import { ProviderRegistry, loadProviderModule } from '../../providers/registry.js';
import type { ClusterLike, MachineLike } from '../../providers/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const examplePath = join(here, '..', '..', 'providers', 'example', 'index.js');

const cluster = (config: Record<string, unknown> = {}): ClusterLike => ({
  apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'demo', namespace: 'default' },
  spec: { infrastructure: { provider: 'example', config } },
});
const machine = (name: string, config: Record<string, unknown> = {}): MachineLike => ({
  apiVersion: 'clusterd.dev/v1alpha1', kind: 'Machine', metadata: { name, namespace: 'default' },
  spec: { clusterName: 'demo', version: 'v1.37.2', infrastructure: { config } },
});

test('the documented example provider loads through loadProviderModule and honours the contract', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'example-provider-'));
  try {
    const loaded = await loadProviderModule(examplePath);
    assert.equal(loaded.name, 'example');
    const reg = new ProviderRegistry((name) => ({ dataDir: join(dir, name), logger: silentLogger() }));
    reg.register(loaded.name, loaded.factory);
    const p = await reg.get('example');

    const infra = await p.reconcileClusterInfrastructure({ cluster: cluster({ region: 'eu-west-1' }) });
    assert.deepEqual(infra, { status: 'done', value: { ready: true, controlPlaneEndpoint: { host: 'demo.eu-west-1.example.invalid', port: 6443 } } });

    // First call creates and says "come back"; the second finds the same machine, booted.
    const first = await p.createOrGetMachine({ cluster: cluster(), machine: machine('w1'), userData: '#cloud-config\n' });
    assert.equal(first.status, 'pending');
    const second = await p.createOrGetMachine({ cluster: cluster(), machine: machine('w1'), userData: '#cloud-config\n' });
    assert.equal(second.status, 'done');
    assert.equal(second.status === 'done' && second.value.state, 'Running');
    assert.equal(second.status === 'done' && second.value.providerID, 'example:///eu-west-1/default/w1');
    assert.equal((await p.listMachines!({ cluster: cluster() })).length, 1);

    // A bad config fails for good with a field error, it does not throw.
    const bad = await p.createOrGetMachine({ cluster: cluster(), machine: machine('w2', { flavor: 'huge' }), userData: '' });
    assert.deepEqual(bad, { status: 'failed', reason: 'InvalidConfiguration', message: 'spec.infrastructure.config.flavor: Unsupported value: "huge": supported values: "small", "medium", "large"' });

    assert.deepEqual(await p.deleteMachine({ cluster: cluster(), machine: machine('w1') }), { status: 'done', value: undefined });
    assert.deepEqual(await p.deleteMachine({ cluster: cluster(), machine: machine('w1') }), { status: 'done', value: undefined });
    assert.equal((await p.listMachines!({ cluster: cluster() })).length, 0);
    await reg.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown provider or a bad module is a clear error', async () => {
  const reg = new ProviderRegistry(() => ({ dataDir: tmpdir(), logger: silentLogger() }));
  await assert.rejects(reg.get('nope'), /unknown infrastructure provider "nope"/);
  await assert.rejects(loadProviderModule(join(here, 'does-not-exist.js')), /--provider-module .*does-not-exist\.js: cannot load/);
  assert.throws(() => reg.register('Bad_Name', () => { throw new Error('unused'); }), /must be a lowercase DNS-1123 label/);
});
