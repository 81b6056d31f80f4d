import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '../../apiserver/index.js';
import { Client } from '../../runtime/client.js';
import { createOrUpdate, loadManifests, waitForCRDsEstablished } from '../../runtime/install.js';
import { repoRoot } from '../../lib/paths.js';
import { LEASE_GVK, type Lease } from '../../runtime/leaderelection.js';
import { eventually, httpGet } from './env.js';
import { ensureDead, freePort, spawnClusterd, type Daemon } from '../support/clusterd-process.js';

interface Member {
  d: Daemon;
  probe: number;
  metrics: number;
}

test('two `clusterd run --leader-elect`: one leads; after SIGKILL the other takes over within 20 s; SIGTERM releases the lease', async () => {
  const server = await startApiServer({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'clusterd-le-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.adminKubeconfig(), { mode: 0o600 });
  const client = new Client(server.kubeConfig());
  const members: Member[] = [];
  try {
    // With --kubeconfig the daemon installs nothing: like a real cluster, the CRDs are the operator's to apply.
    const crds = loadManifests(join(repoRoot(), 'crds'));
    await createOrUpdate(client, crds);
    await waitForCRDsEstablished(client, crds.map((c) => c.metadata.name!), 30_000);
    for (let i = 0; i < 2; i++) {
      const [probe, metrics] = [await freePort(), await freePort()];
      const d = spawnClusterd(['run', '--leader-elect', '--kubeconfig', kubeconfig, '--metrics-bind-address', `127.0.0.1:${metrics}`, '--health-probe-bind-address', `127.0.0.1:${probe}`]);
      members.push({ d, probe, metrics });
    }
    const holder = async (): Promise<string> => (await client.get<Lease>(LEASE_GVK, { namespace: 'default', name: 'clusterd-leader' })).spec?.holderIdentity ?? '';
    const leaderPid = await eventually('a leader', async () => {
      const h = await holder();
      return members.find((m) => h.includes(`_${m.d.child.pid}_`))?.d.child.pid;
    }, 30_000);
    const leader = members.find((m) => m.d.child.pid === leaderPid)!;
    const follower = members.find((m) => m !== leader)!;

    // Only the leader is ready and reports itself master; the follower waits.
    await eventually('leader ready', async () => (await httpGet(`http://127.0.0.1:${leader.probe}/readyz`)).status === 200);
    const fr = await eventually('follower probes up', async () => httpGet(`http://127.0.0.1:${follower.probe}/readyz?verbose`).catch(() => undefined));
    assert.equal(fr.status, 500);
    assert.match(fr.body, /\[-\]leader-election failed: not the leader/);
    assert.match((await httpGet(`http://127.0.0.1:${leader.metrics}/metrics`)).body, /leader_election_master_status\{name="clusterd-leader"\} 1/);
    assert.match((await httpGet(`http://127.0.0.1:${follower.metrics}/metrics`)).body, /leader_election_master_status\{name="clusterd-leader"\} 0/);

    // Kill the leader without letting it release the lease.
    leader.d.child.kill('SIGKILL');
    const killedAt = Date.now();
    await leader.d.exited;
    await eventually('the follower takes over', async () => (await holder()).includes(`_${follower.d.child.pid}_`), 25_000);
    const tookOverMs = Date.now() - killedAt;
    assert.ok(tookOverMs < 20_000, `takeover took ${tookOverMs} ms`);
    await eventually('new leader ready', async () => (await httpGet(`http://127.0.0.1:${follower.probe}/readyz`)).status === 200);
    const lease = await client.get<Lease>(LEASE_GVK, { namespace: 'default', name: 'clusterd-leader' });
    assert.equal(lease.spec?.leaseDurationSeconds, 15);
    assert.ok((lease.spec?.leaseTransitions ?? 0) >= 1);

    // A graceful stop releases the lease at once.
    follower.d.child.kill('SIGTERM');
    const { code } = await follower.d.exited;
    assert.equal(code, 0, follower.d.output().slice(-2000));
    assert.equal(await holder(), '');
  } finally {
    for (const m of members) await ensureDead(m.d);
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
