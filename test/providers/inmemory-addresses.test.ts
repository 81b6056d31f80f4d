/**
 * Two clusterd daemons on one host (two in-memory providers with their own data dirs, one claims directory) never
 * hand out the same loopback address; an address something else holds is skipped; a cluster whose endpoint address
 * was taken moves on; and deleting what never got its infrastructure finishes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../lib/logging.js';
import { createInMemoryProvider, type InMemoryProvider } from '../../providers/inmemory/provider.js';
import type { ClusterLike, MachineLike } from '../../providers/types.js';

const RANGE = '127.33.0.0/24';
const cluster = (name: string): ClusterLike => ({ metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { infrastructure: { provider: 'inmemory', config: { addressRange: RANGE } } } });
const machine = (name: string, clusterName: string): MachineLike => ({ metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { clusterName, version: 'v1.36.0' } });
const USER_DATA = '#cloud-config\n{}\n';

function listen(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
}

test('independent daemons on one host never collide, taken addresses are skipped, and deletion always finishes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inmemory-addresses-'));
  const prevClaims = process.env.CLUSTERD_ADDRESS_DIR;
  process.env.CLUSTERD_ADDRESS_DIR = join(dir, 'claims');
  const providers: InMemoryProvider[] = [];
  const servers: Server[] = [];
  const provider = (name: string): InMemoryProvider => {
    const p = createInMemoryProvider({ dataDir: join(dir, name), logger: silentLogger() }, { runAgent: async () => 0 });
    providers.push(p);
    return p;
  };
  t.after(async () => {
    for (const p of providers) await p.close();
    for (const s of servers) s.close();
    if (prevClaims === undefined) delete process.env.CLUSTERD_ADDRESS_DIR;
    else process.env.CLUSTERD_ADDRESS_DIR = prevClaims;
    rmSync(dir, { recursive: true, force: true });
  });

  // Something else on the host holds the first address of the range on the endpoint port.
  servers.push(await listen('127.33.0.1', 6443));
  const a = provider('daemon-a');
  const b = provider('daemon-b');
  const ia = await a.reconcileClusterInfrastructure({ cluster: cluster('one') });
  const ib = await b.reconcileClusterInfrastructure({ cluster: cluster('one') });
  assert.equal(ia.status, 'done');
  assert.equal(ib.status, 'done');
  const epA = ia.status === 'done' ? ia.value.controlPlaneEndpoint!.host : '';
  const epB = ib.status === 'done' ? ib.value.controlPlaneEndpoint!.host : '';
  assert.notEqual(epA, '127.33.0.1', 'an address in use on the host is skipped');
  assert.notEqual(epA, epB, 'two daemons got the same endpoint');
  const ma = await a.createOrGetMachine({ cluster: cluster('one'), machine: machine('m', 'one'), userData: USER_DATA });
  const mb = await b.createOrGetMachine({ cluster: cluster('one'), machine: machine('m', 'one'), userData: USER_DATA });
  const addrs = [ma, mb].map((r) => (r.status === 'done' ? r.value.addresses[0]!.address : ''));
  assert.equal(new Set([...addrs, epA, epB, '127.33.0.1']).size, 5, `addresses collide: ${addrs.join(', ')} ${epA} ${epB}`);

  // A daemon restarted on its data dir keeps its own addresses.
  await a.close();
  const a2 = provider('daemon-a');
  const again = await a2.reconcileClusterInfrastructure({ cluster: cluster('one') });
  assert.equal(again.status === 'done' && again.value.controlPlaneEndpoint!.host, epA);

  // A cluster recorded (by an older clusterd) at an address that is now taken, with no machine yet: it moves on.
  const stale = join(dir, 'daemon-b', 'default', 'two');
  mkdirSync(stale, { recursive: true });
  writeFileSync(join(stale, 'cluster.json'), JSON.stringify({ namespace: 'default', name: 'two', uid: 'uid-two', addressRange: RANGE, loadBalancer: { host: '127.33.0.1', port: 6443 } }));
  const b2 = provider('daemon-b');
  const moved = await b2.reconcileClusterInfrastructure({ cluster: cluster('two') });
  assert.equal(moved.status, 'done', JSON.stringify(moved));
  assert.notEqual(moved.status === 'done' && moved.value.controlPlaneEndpoint!.host, '127.33.0.1');

  // A cluster whose endpoint cannot bind and that has machines cannot move: its deletion still finishes.
  const stuck = join(dir, 'daemon-c', 'default', 'three');
  mkdirSync(join(stuck, 'instances'), { recursive: true });
  writeFileSync(join(stuck, 'cluster.json'), JSON.stringify({ namespace: 'default', name: 'three', uid: 'uid-three', addressRange: RANGE, loadBalancer: { host: '127.33.0.1', port: 6443 } }));
  writeFileSync(join(stuck, 'instances', 'w.json'), JSON.stringify({ namespace: 'default', name: 'w', uid: 'uid-w', cluster: 'three', providerID: 'inmemory:///default/three/w', address: '127.33.0.200', version: 'v1.36.0', createdAt: new Date().toISOString(), bootAt: Date.now(), state: 'Provisioning', fate: 'Healthy', failAfterMs: 0 }));
  const c = provider('daemon-c');
  const failing = c.reconcileClusterInfrastructure({ cluster: cluster('three') });
  await assert.rejects(failing, /control-plane endpoint 127.33.0.1:6443/);
  assert.deepEqual(await c.deleteMachine({ cluster: cluster('three'), machine: machine('w', 'three') }), { status: 'done', value: undefined });
  assert.ok(!existsSync(join(stuck, 'instances', 'w.json')));
  assert.deepEqual(await c.deleteClusterInfrastructure({ cluster: cluster('three') }), { status: 'done', value: undefined });
  assert.ok(!existsSync(stuck));
});
