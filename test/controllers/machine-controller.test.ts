/**
 * The Machine controller (with the Cluster controller) against the embedded API server and the example
 * provider, whose machines boot but whose workload API never answers: bootstrap roles and the init claim,
 * the bootstrap Secret, providerID and phases, immutability of MachineSet-owned Machines, and deletion
 * that always removes the provider machine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cluster, Machine } from '../../api/v1alpha1/index.js';
import type { BootstrapDataInput } from '../../controllers/machine/index.js';
import { isNotFound } from '../../runtime/errors.js';
import type { KubeObject } from '../../runtime/types.js';
import { eventually, startControllerEnv, type ControllerEnv } from './cluster-env.js';

const CLUSTER = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster' };
const MACHINE = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Machine' };
const MACHINESET = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'MachineSet' };
const SECRET = { apiVersion: 'v1', kind: 'Secret' };
type Secret = KubeObject & { data?: Record<string, string> };

const rendered: BootstrapDataInput[] = [];
/** The renderer is bootstrap's; here a stand-in that records what the controller asked for. */
const render = (input: BootstrapDataInput): string => {
  rendered.push(input);
  return `#cloud-config\n# role ${input.role} for ${input.nodeName}\nruncmd: []\n`;
};

const getMachine = (env: ControllerEnv, name: string): Promise<Machine & KubeObject> => env.client.get(MACHINE, { namespace: 'default', name });
const gone = async (env: ControllerEnv, gvk: { apiVersion: string; kind: string }, name: string): Promise<boolean> =>
  env.client.get(gvk, { namespace: 'default', name }).then(() => false, (e: unknown) => isNotFound(e));

describe('Machine controller against a real API server', () => {
  let env: ControllerEnv;
  before(async () => {
    env = await startControllerEnv({ machines: render, pollIntervalMs: 300 });
    await env.client.create({ ...CLUSTER, metadata: { name: 'ex', namespace: 'default' }, spec: { infrastructure: { provider: 'example', config: { region: 'eu-west-1' } } } });
  });
  after(async () => {
    await env.close();
  });

  it('the first control-plane Machine claims init and is provisioned; the next waits; workers wait', async () => {
    const c = env.client;
    const cp = (name: string) => ({ ...MACHINE, metadata: { name, namespace: 'default', labels: { 'clusterd.dev/control-plane': '' } }, spec: { clusterName: 'ex', version: 'v1.34.2' } });
    await c.create(cp('ex-cp-a'));
    const a = await eventually('cp-a Provisioned', async () => {
      const m = await getMachine(env, 'ex-cp-a');
      return m.status?.phase === 'Provisioned' ? m : undefined;
    });
    assert.ok(a.metadata.finalizers?.includes('machine.clusterd.dev'));
    assert.equal(a.metadata.labels?.['clusterd.dev/cluster-name'], 'ex');
    assert.equal(a.spec.providerID, 'example:///eu-west-1/default/ex-cp-a');
    assert.equal(a.spec.bootstrap?.dataSecretName, 'ex-cp-a-bootstrap');
    assert.equal(a.status?.bootstrapReady, true);
    assert.equal(a.status?.infrastructureReady, true);
    assert.ok(a.status?.addresses?.some((x) => x.type === 'InternalIP'));
    const bs = await c.get<Secret>(SECRET, { namespace: 'default', name: 'ex-cp-a-bootstrap' });
    assert.equal(Buffer.from(bs.data!.format!, 'base64').toString(), 'cloud-config');
    assert.match(Buffer.from(bs.data!.value!, 'base64').toString(), /role init for ex-cp-a/);
    assert.ok(bs.metadata.ownerReferences?.some((r) => r.kind === 'Machine' && r.name === 'ex-cp-a'));
    const init = rendered.find((r) => r.nodeName === 'ex-cp-a')!;
    assert.equal(init.role, 'init');
    assert.match(init.certificateKey ?? '', /^[0-9a-f]{64}$/);
    assert.match(init.token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    assert.match(init.caCertHashes[0] ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.ok(init.certs?.ca.keyPem.includes('PRIVATE KEY'));
    const cl = await c.get<Cluster & KubeObject>(CLUSTER, { namespace: 'default', name: 'ex' });
    assert.equal(cl.metadata.annotations?.['clusterd.dev/init-machine'], 'ex-cp-a');

    await c.create(cp('ex-cp-b'));
    await c.create({ ...MACHINE, metadata: { name: 'ex-w-1', namespace: 'default' }, spec: { clusterName: 'ex', version: 'v1.34.2' } });
    for (const n of ['ex-cp-b', 'ex-w-1']) {
      const m = await eventually(`${n} waiting`, async () => {
        const x = await getMachine(env, n);
        return x.status?.conditions?.some((k) => k.type === 'BootstrapReady' && k.status === 'False' && k.reason === 'WaitingForControlPlane') ? x : undefined;
      });
      assert.equal(m.status?.phase, 'Pending');
      assert.equal(m.spec.providerID, undefined, `${n} has no provider machine before the control plane is initialised`);
    }
    assert.equal(rendered.filter((r) => r.role === 'init').length, 1, 'exactly one init');
  });

  it('inlines a file\'s contentFrom Secret byte for byte; a missing Secret waits, naming the field, never the content', async () => {
    const c = env.client;
    await c.create({ ...CLUSTER, metadata: { name: 'ex2', namespace: 'default' }, spec: { infrastructure: { provider: 'example', config: { region: 'eu-west-1' } } } });
    await c.create({ ...MACHINE, metadata: { name: 'ex2-cp', namespace: 'default', labels: { 'clusterd.dev/control-plane': '' } }, spec: {
      clusterName: 'ex2', version: 'v1.34.2',
      bootstrap: { files: [{ path: '/etc/motd', content: 'hi' }, { path: '/etc/creds/token', permissions: '0600', contentFrom: { secret: { name: 'ex2-creds', key: 'token' } } }] },
    } });
    const waiting = await eventually('BootstrapFileSecretMissing', async () => {
      const x = await getMachine(env, 'ex2-cp');
      return x.status?.conditions?.find((k) => k.type === 'BootstrapReady' && k.reason === 'BootstrapFileSecretMissing');
    });
    assert.equal(waiting.message, 'spec.bootstrap.files[1].contentFrom: Secret "ex2-creds" not found');
    const secret = Buffer.concat([Buffer.from('s3cret-token'), Buffer.from([0, 255, 10])]);
    await c.create({ ...SECRET, metadata: { name: 'ex2-creds', namespace: 'default' }, data: { other: 'eA==' } });
    await eventually('key not found', async () => {
      const x = await getMachine(env, 'ex2-cp');
      return x.status?.conditions?.some((k) => k.reason === 'BootstrapFileSecretMissing' && k.message === 'spec.bootstrap.files[1].contentFrom: key "token" not found in Secret "ex2-creds"');
    });
    await c.patch({ ...SECRET, metadata: { name: 'ex2-creds', namespace: 'default' } }, { data: { token: secret.toString('base64') } });
    await eventually('ex2-cp Provisioned', async () => (await getMachine(env, 'ex2-cp')).status?.phase === 'Provisioned');
    const files = rendered.find((r) => r.nodeName === 'ex2-cp')!.extras!.files!;
    assert.deepEqual(files[0], { path: '/etc/motd', content: 'hi' });
    assert.equal(files[1]!.contentFrom, undefined);
    assert.equal(files[1]!.encoding, 'base64');
    assert.equal(files[1]!.permissions, '0600');
    assert.deepEqual(Buffer.from(files[1]!.content!, 'base64'), secret);
    const m = await getMachine(env, 'ex2-cp');
    const events = await c.list<KubeObject & { message?: string }>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
    for (const text of [JSON.stringify(m.status), ...events.items.map((e) => e.message ?? '')]) assert.ok(!text.includes('s3cret'), text);
  });

  it('refuses a version change on a MachineSet-owned Machine with a condition and an Event', async () => {
    const c = env.client;
    const ms = await c.create<KubeObject>({ ...MACHINESET, metadata: { name: 'ex-ms', namespace: 'default' },
      spec: { clusterName: 'ex', replicas: 0, selector: { matchLabels: { pool: 'x' } }, template: { metadata: { labels: { pool: 'x' } }, spec: { clusterName: 'ex' } } } });
    await c.create({ ...MACHINE, metadata: { name: 'ex-ms-1', namespace: 'default', labels: { pool: 'x', 'clusterd.dev/control-plane': '' },
      ownerReferences: [{ apiVersion: 'clusterd.dev/v1alpha1', kind: 'MachineSet', name: 'ex-ms', uid: ms.metadata.uid!, controller: true }] }, spec: { clusterName: 'ex', version: 'v1.34.2' } });
    // As if it had been provisioned with v1.34.2 (here it waits for init, which never comes).
    await c.patch({ ...MACHINE, metadata: { name: 'ex-ms-1', namespace: 'default' } }, { metadata: { annotations: { 'clusterd.dev/provisioned-spec': '{"infrastructure":{},"version":"v1.34.2"}' } } });
    await c.patch({ ...MACHINE, metadata: { name: 'ex-ms-1', namespace: 'default' } }, { spec: { version: 'v1.35.0' } });
    const m = await eventually('SpecImmutable False', async () => {
      const x = await getMachine(env, 'ex-ms-1');
      return x.status?.conditions?.some((k) => k.type === 'SpecImmutable' && k.status === 'False') ? x : undefined;
    });
    assert.match(m.status!.conditions!.find((k) => k.type === 'SpecImmutable')!.message ?? '', /spec\.version cannot change/);
    await eventually('ImmutableFieldChanged event', async () => {
      const ev = await c.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
      return ev.items.some((e) => e.reason === 'ImmutableFieldChanged' && e.involvedObject?.name === 'ex-ms-1');
    });
    await c.delete({ ...MACHINE, metadata: { name: 'ex-ms-1', namespace: 'default' } });
    await eventually('ex-ms-1 gone', () => gone(env, MACHINE, 'ex-ms-1'));
  });

  it('deleting a provisioned Machine removes its provider machine, then the finalizer', async () => {
    const provider = await env.providers.get('example');
    const cluster = await env.client.get<Cluster & KubeObject>(CLUSTER, { namespace: 'default', name: 'ex' });
    assert.ok((await provider.listMachines!({ cluster })).some((m) => m.machineName === 'ex-cp-a'));
    await env.client.delete({ ...MACHINE, metadata: { name: 'ex-cp-a', namespace: 'default' } });
    await eventually('ex-cp-a gone', () => gone(env, MACHINE, 'ex-cp-a'));
    assert.ok(!(await provider.listMachines!({ cluster })).some((m) => m.machineName === 'ex-cp-a'), 'no provider machine left behind');
  });

  it('deleting the Cluster removes its Machines first, then itself', async () => {
    await env.client.delete({ ...CLUSTER, metadata: { name: 'ex', namespace: 'default' } });
    await eventually('cluster gone', () => gone(env, CLUSTER, 'ex'), 30_000);
    for (const n of ['ex-cp-b', 'ex-w-1']) assert.ok(await gone(env, MACHINE, n), `${n} deleted with the cluster`);
    const provider = await env.providers.get('example');
    assert.deepEqual(await provider.listMachines!({ cluster: { metadata: { name: 'ex', namespace: 'default' } } }), []);
  });
});
