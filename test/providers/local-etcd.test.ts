/**
 * Stacked etcd on the `local` provider with the real etcd: a second control-plane machine joins through the agent's
 * etcd-join phase (learner added through the etcd API of the first member, found from its mirror Pod's
 * annotation, then promoted), and `etcdctl member list`, run in the first machine's network, shows two started voting
 * members and no learner. Then the management side removes the second member as the Machine controller does (a
 * short-lived client certificate from the etcd CA, a remaining member's client URL), and etcdctl shows one.
 *
 * Needs root, iproute2 and the binaries `make kube` builds: missing ones fail the test, never skip it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { KUBE_TEST_VERSION, kubeBinary } from '../../lib/kube-binaries.js';
import { silentLogger } from '../../lib/logging.js';
import { renderCloudInit } from '../../bootstrap/cloudinit/index.js';
import { newBootstrapToken } from '../../bootstrap/tokens.js';
import { newCertificateKey } from '../../bootstrap/copycerts.js';
import { caCertHash } from '../../lib/pki.js';
import { createLocalProvider } from '../../providers/local/provider.js';
import { missingPrerequisites } from '../../providers/local/net.js';
import type { MachineRecord } from '../../providers/local/layout.js';
import type { ClusterLike, MachineLike } from '../../providers/types.js';
import { Client } from '../../runtime/client.js';
import { removeEtcdMemberOfNode } from '../../controllers/shared/etcd-members.js';
import { eventually } from '../support/eventually.js';

const exec = promisify(execFile);
// A range of its own (local-machine.test.ts uses 10.241.77.0/24).
const RANGE = '10.241.78.0/24';

const cluster: ClusterLike = {
  apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'le', namespace: 'default', uid: 'c-uid-etcd' },
  spec: { infrastructure: { provider: 'local', config: { addressRange: RANGE } } },
};
const cpMachine = (name: string, uid: string): MachineLike => ({
  apiVersion: 'clusterd.dev/v1alpha1', kind: 'Machine', metadata: { name, namespace: 'default', uid },
  spec: { clusterName: 'le', version: KUBE_TEST_VERSION },
});

interface Member { ID: string; name?: string; peerURLs: string[]; clientURLs?: string[]; isLearner?: boolean }

test('local provider: a joining control plane becomes a started voting etcd member (learner, then promoted); the management removes it through the etcd API', { timeout: 240_000 }, async (t) => {
  for (const b of ['etcd', 'etcdctl', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const) kubeBinary(KUBE_TEST_VERSION, b);
  assert.equal(missingPrerequisites(), undefined, 'this test needs root and iproute2 (as CI has)');
  const dataDir = mkdtempSync(join(tmpdir(), 'clusterd-local-etcd-'));
  const provider = createLocalProvider({ dataDir, logger: silentLogger() });
  const [cp0, cp1] = [cpMachine('cp-0', 'm-etcd-0'), cpMachine('cp-1', 'm-etcd-1')];
  t.after(async () => {
    for (const m of [cp1, cp0]) await provider.deleteMachine({ cluster, machine: m }).catch(() => undefined);
    await provider.deleteClusterInfrastructure({ cluster }).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const dir = (n: string): string => provider.machinePath('default', 'le', n);
  const logOf = (n: string): string => {
    const p = join(dir(n), 'root', 'var/log/cloud-init-output.log');
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  };
  const booted = (n: string, timeoutMs: number): Promise<string> => eventually(`${n}'s cloud-init to finish`, () => {
    if (/exited with \d+/.test(logOf(n))) assert.fail(`${n}'s cloud-init failed:\n${logOf(n).slice(-4000)}`);
    return existsSync(join(dir(n), 'root', 'var/lib/cloud/instance/boot-finished')) && 'finished';
  }, timeoutMs, 500).catch((err: Error) => assert.fail(`${err.message}\n${logOf(n).slice(-4000)}`));

  const infra = await provider.reconcileClusterInfrastructure({ cluster });
  assert.equal(infra.status, 'done', JSON.stringify(infra));
  const endpoint = infra.status === 'done' ? infra.value.controlPlaneEndpoint! : { host: '', port: 0 };
  const token = newBootstrapToken();
  const certificateKey = newCertificateKey();
  const common = { clusterName: 'le', version: KUBE_TEST_VERSION, controlPlaneEndpoint: endpoint, token, certificateKey };
  const c0 = await provider.createOrGetMachine({ cluster, machine: cp0, userData: renderCloudInit({ role: 'init', nodeName: 'cp-0', ...common }) });
  assert.equal(c0.status, 'done', JSON.stringify(c0));
  const addr0 = (c0.status === 'done' ? c0.value : undefined)!.addresses.find((a) => a.type === 'InternalIP')!.address;
  await booted('cp-0', 120_000);

  const started = Date.now();
  const caPem = readFileSync(join(dir('cp-0'), 'root', 'etc/kubernetes/pki/ca.crt'), 'utf8');
  const c1 = await provider.createOrGetMachine({
    cluster, machine: cp1, userData: renderCloudInit({ role: 'join-control-plane', nodeName: 'cp-1', caCertHashes: [caCertHash(caPem)], ...common }),
  });
  assert.equal(c1.status, 'done', JSON.stringify(c1));
  const addr1 = (c1.status === 'done' ? c1.value : undefined)!.addresses.find((a) => a.type === 'InternalIP')!.address;
  await booted('cp-1', 180_000);
  const joinedMs = Date.now() - started;
  const log1 = logOf('cp-1');
  assert.match(log1, new RegExp(`\\[etcd\\] etcd endpoints read from the etcd Pods: https://${addr0.replaceAll('.', '\\.')}:2379`));
  assert.match(log1, new RegExp(`\\[etcd\\] Added etcd member [0-9a-f]+ as learner: https://${addr1.replaceAll('.', '\\.')}:2380 \\(existing members: cp-0\\)`));
  assert.match(log1, /\[etcd\] The learner cp-1 \([0-9a-f]+\) was promoted as a voting member/);

  // etcdctl, in cp-0's network, with kubeadm's etcd health-check client certificate
  const rec0 = JSON.parse(readFileSync(join(dir('cp-0'), 'machine.json'), 'utf8')) as MachineRecord;
  const pki = join(dir('cp-0'), 'root', 'etc/kubernetes/pki/etcd');
  const memberList = async (): Promise<Member[]> => {
    const { stdout } = await exec('ip', ['netns', 'exec', rec0.netns, kubeBinary(KUBE_TEST_VERSION, 'etcdctl'), `--endpoints=https://${addr0}:2379`,
      `--cacert=${join(pki, 'ca.crt')}`, `--cert=${join(pki, 'healthcheck-client.crt')}`, `--key=${join(pki, 'healthcheck-client.key')}`, 'member', 'list', '-w', 'json']);
    return (JSON.parse(stdout) as { members: Member[] }).members;
  };
  const two = await memberList();
  assert.deepEqual(two.map((m) => [m.name, m.peerURLs[0], m.isLearner ?? false]).sort(), [['cp-0', `https://${addr0}:2380`, false], ['cp-1', `https://${addr1}:2380`, false]]);
  assert.ok(two.every((m) => (m.clientURLs ?? []).length > 0), 'both started (a member not started has no client URLs)');

  // The management side, as the Machine controller deletes cp-1: through cp-0's client URL, with a minted certificate.
  const kc = new KubeConfig();
  kc.loadFromString(readFileSync(join(dir('cp-0'), 'root', 'etc/kubernetes/admin.conf'), 'utf8'));
  const wc = new Client(kc, { timeoutMs: 10_000 });
  const etcdCA = { certPem: readFileSync(join(pki, 'ca.crt'), 'utf8'), keyPem: readFileSync(join(pki, 'ca.key'), 'utf8') };
  const removed = await removeEtcdMemberOfNode(wc, 'cp-1', etcdCA);
  assert.equal(removed.result, 'removed');
  assert.deepEqual((await memberList()).map((m) => m.name), ['cp-0']);
  assert.deepEqual(await removeEtcdMemberOfNode(wc, 'cp-1', etcdCA), { result: 'absent' }, 'run again: already gone');
  t.diagnostic(`control-plane join (learner added, started, promoted) to boot-finished: ${joinedMs} ms`);
});
