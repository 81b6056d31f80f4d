/**
 * A workload cluster built by hand on the in-memory provider (no controllers): one `init` control plane,
 * two `join --control-plane`, two workers, each from cloud-init user-data running the real agent. Then,
 * through the load-balanced endpoint with the admin kubeconfig, the real kubectl sees five Ready Nodes
 * with the right roles and versions and the approved worker CSRs; kubeadm-certs vanishes when its short-lived
 * proxy token expires; killing a member keeps the endpoint up. The user-data is bootstrap's renderCloudInit output,
 * exactly what the Machine controller hands a provider.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { caCertHash, generateClusterPKI, newBootstrapToken, newCertificateKey, renderCloudInit, type CloudInitInput } from '../../bootstrap/index.js';
import { httpsGetJSON } from '../../bootstrap/discovery.js';
import { silentLogger } from '../../lib/logging.js';
import { createInMemoryProvider } from '../../providers/inmemory/provider.js';
import { Informer, KubeClient } from '../../providers/inmemory/kubeclient.js';
import type { ClusterLike, MachineLike } from '../../providers/types.js';

const run = promisify(execFile);
const ip = (n: number): string => `127.42.0.${n}`;

test('five machines from user-data form an HA cluster that kubectl sees through the endpoint', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inmemory-cluster-'));
  const provider = createInMemoryProvider({ dataDir: join(dir, 'inmemory'), logger: silentLogger() }, { leaseRenewMs: 1000 });
  const informers: Informer[] = [];
  t.after(async () => {
    for (const i of informers) i.stop();
    await provider.deleteClusterInfrastructure({ cluster });
    await provider.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const cluster: ClusterLike = { metadata: { name: 'ha', namespace: 'default', uid: 'ha' }, spec: { infrastructure: { provider: 'inmemory', config: { addressRange: '127.42.0.0/24' } } } };
  const infra = await provider.reconcileClusterInfrastructure({ cluster });
  assert.equal(infra.status, 'done');
  const pki = await generateClusterPKI();
  const token = newBootstrapToken();
  // Long enough for both control-plane joins to download the certificates, short enough to watch it expire.
  const certificateTokenTTL = '40s';
  const common: Omit<CloudInitInput, 'role' | 'nodeName'> = {
    clusterName: 'workload', version: 'v1.36.3', controlPlaneEndpoint: { host: ip(1), port: 6443 }, token: token,
    caCertHashes: [caCertHash(pki.ca.certPem)], certificateKey: newCertificateKey(),
  };
  const userData = (role: CloudInitInput['role'], nodeName: string, address: string): string =>
    renderCloudInit({ ...common, role, nodeName, advertiseAddress: address, ...(role === 'init' ? { certs: pki, certificateTokenTTL } : {}) });
  const machine = (name: string): MachineLike => ({ metadata: { name, namespace: 'default', uid: name }, spec: { clusterName: 'ha', version: 'v1.36.3' } });
  const rootOf = (m: string): string => join(dir, 'inmemory/default/ha/machines', m);
  const until = async (what: string, fn: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!(await Promise.resolve(fn()).catch(() => false))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  await provider.createOrGetMachine({ cluster, machine: machine('cp-0'), userData: userData('init', 'cp-0', ip(2)) });
  const adminConf = join(rootOf('cp-0'), 'etc/kubernetes/admin.conf');
  await until('admin.conf', () => existsSync(adminConf));
  const kubectl = async (...args: string[]): Promise<string> => (await run('kubectl', ['--kubeconfig', adminConf, ...args])).stdout;
  await until('cp-0 Ready', async () => (await kubectl('get', 'node', 'cp-0', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')) === 'True');

  // The embedded API server does not record a CSR's requester yet (kube-apiserver sets spec.username and
  // groups on create); fill them in as it would for this bootstrap token, so the approver can decide.
  const admin = KubeClient.fromKubeconfig((await import('node:fs')).readFileSync(adminConf, 'utf8'));
  t.after(() => admin.close());
  const tokenId = token.split('.')[0]!;
  const csrs = new Informer(admin, '/apis/certificates.k8s.io/v1/certificatesigningrequests', {
    onUpsert: (o) => {
      const s = o.spec as { username?: string; groups?: string[] };
      if (s.username) return;
      s.username = `system:bootstrap:${tokenId}`;
      s.groups = ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'];
      void admin.replace(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${o.metadata.name}`, o).catch(() => undefined);
    },
  });
  informers.push(csrs);
  csrs.start();

  let certsOwner = '';
  await until('kubeadm-certs uploaded', async () => {
    certsOwner = (await kubectl('-n', 'kube-system', 'get', 'secret', 'kubeadm-certs', '-o', 'jsonpath={.metadata.ownerReferences[0].name}')).trim();
    return certsOwner !== '';
  });
  assert.match(certsOwner, /^bootstrap-token-[a-z0-9]{6}$/);
  await provider.createOrGetMachine({ cluster, machine: machine('cp-1'), userData: userData('join-control-plane', 'cp-1', ip(3)) });
  await provider.createOrGetMachine({ cluster, machine: machine('cp-2'), userData: userData('join-control-plane', 'cp-2', ip(4)) });
  await provider.createOrGetMachine({ cluster, machine: machine('w-0'), userData: userData('join-worker', 'w-0', ip(5)) });
  await provider.createOrGetMachine({ cluster, machine: machine('w-1'), userData: userData('join-worker', 'w-1', ip(6)) });

  await until('five Ready nodes', async () => (await kubectl('get', 'nodes', '--no-headers')).split('\n').filter((l) => /\sReady\s/.test(l)).length === 5);
  // A joining control plane registers (and turns Ready) before its mark-control-plane phase labels it: wait for
  // both joins to finish labelling, then compare the whole table.
  const table = async (): Promise<string[][]> =>
    (await kubectl('get', 'nodes', '--no-headers')).trim().split('\n').map((l) => l.split(/\s+/)).map((r) => [r[0]!, r[1]!, r[2]!, r[4]!]).sort();
  await until('three control-plane roles', async () => (await table()).filter((r) => r[2] === 'control-plane').length === 3);
  assert.deepEqual(await table(), [
    ['cp-0', 'Ready', 'control-plane', 'v1.36.3'], ['cp-1', 'Ready', 'control-plane', 'v1.36.3'], ['cp-2', 'Ready', 'control-plane', 'v1.36.3'],
    ['w-0', 'Ready', '<none>', 'v1.36.3'], ['w-1', 'Ready', '<none>', 'v1.36.3'],
  ]);
  // Every simulated API server reports the version of the manifest it was started from (v1.36.3 here, not the default).
  for (const n of [2, 3, 4]) {
    const v = JSON.parse(await kubectl('version', '-o', 'json', '--server', `https://${ip(n)}:6443`)) as { serverVersion?: { gitVersion?: string; minor?: string } };
    assert.deepEqual([v.serverVersion?.gitVersion, v.serverVersion?.minor], ['v1.36.3', '36'], ip(n));
  }
  const providerIDs = (await kubectl('get', 'nodes', '-o', 'jsonpath={.items[*].spec.providerID}')).split(' ').sort();
  assert.deepEqual(providerIDs, ['cp-0', 'cp-1', 'cp-2', 'w-0', 'w-1'].map((n) => `inmemory:///default/ha/${n}`));
  const csrTable = await kubectl('get', 'csr', '--no-headers');
  for (const n of ['w-0', 'w-1']) {
    assert.ok(csrTable.split('\n').some((l) => l.includes('kubernetes.io/kube-apiserver-client-kubelet') && l.includes('Approved,Issued')), `no approved kubelet CSR for ${n}:\n${csrTable}`);
  }
  assert.ok(csrTable.split('\n').filter((l) => l.includes('Approved,Issued')).length >= 2);

  // The token cleaner deletes the expired proxy token, and kubeadm-certs with it; the join token stays.
  const secrets = async (): Promise<string> => kubectl('-n', 'kube-system', 'get', 'secrets', '-o', 'name');
  await until('the proxy token and kubeadm-certs to expire', async () => !(await secrets()).includes('secret/kubeadm-certs'), 60_000);
  const left = await secrets();
  assert.ok(!left.includes(`secret/${certsOwner}`), 'the expired proxy token is deleted');
  assert.ok(left.includes(`secret/bootstrap-token-${tokenId}`), 'the join token (24h) is not');

  // The simulated etcd: three voting members, each joined as a learner and promoted once its etcd reported healthy.
  const sim = (await provider.simulatedCluster('default', 'ha'))!;
  // (In join order, which two control planes joining at once may swap: compared by name.)
  assert.deepEqual(sim.etcdMembership().map((m) => [m.name, m.peerURL, m.learner, m.running]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))), [
    ['cp-0', `https://${ip(2)}:2380`, false, true], ['cp-1', `https://${ip(3)}:2380`, false, true], ['cp-2', `https://${ip(4)}:2380`, false, true],
  ]);
  // Every control-plane component answers its health check where its manifest binds it (127.0.0.1 being the machine).
  for (const n of [2, 3, 4]) {
    for (const [port, path] of [[10257, 'healthz'], [10259, 'livez']] as const) {
      assert.equal((await httpsGetJSON(`https://${ip(n)}:${port}/${path}`, { insecure: true })).status, 200, `${ip(n)}:${port}`);
    }
  }

  // Three API servers behind the load balancer; kill the one on cp-0 and the endpoint still answers.
  await until('three members behind the LB', () => sim.loadBalancerBackends().length === 3);
  await sim.crashApiServer('cp-0');
  for (let i = 0; i < 5; i++) assert.match(await kubectl('get', 'nodes', '--no-headers'), /w-1\s+Ready/);
  assert.equal(sim.loadBalancerBackends().find((b) => b.host === ip(2))?.healthy, false);
});
