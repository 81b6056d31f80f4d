/**
 * The `local` provider end to end on one control-plane machine, through the real path: the cloud-init user-data the
 * Machine controller renders runs inside the machine's namespaces, `clusterd agent init` runs there, the process
 * kubelet runs the real etcd, kube-apiserver, kube-controller-manager and kube-scheduler from the agent's static Pod
 * manifests, and kubectl, through the machine's own address, sees the Node Ready and the four mirror Pods Running.
 * A worker then joins through the load balancer (its CSR approved and signed by the real kube-controller-manager).
 * Deleting them leaves no namespace, veth, bridge, mount or process on the host.
 *
 * Needs root, iproute2 and the binaries `make kube` builds: missing ones fail the test, never skip it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KUBE_TEST_VERSION, kubeBinary } from '../../lib/kube-binaries.js';
import { silentLogger } from '../../lib/logging.js';
import { renderCloudInit } from '../../bootstrap/cloudinit/index.js';
import { newBootstrapToken } from '../../bootstrap/tokens.js';
import { caCertHash } from '../../lib/pki.js';
import { createLocalProvider } from '../../providers/local/provider.js';
import { missingPrerequisites } from '../../providers/local/net.js';
import type { MachineRecord } from '../../providers/local/layout.js';
import type { ClusterLike, MachineLike } from '../../providers/types.js';
import { eventually } from '../support/eventually.js';
import { hostProcesses, netnsName } from '../support/host-processes.js';

const exec = promisify(execFile);
// A range of its own, so a developer's daemon on the default range is not disturbed.
const RANGE = '10.241.77.0/24';

const cluster: ClusterLike = {
  apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'lc', namespace: 'default', uid: 'c-uid-1' },
  spec: { infrastructure: { provider: 'local', config: { addressRange: RANGE } } },
};
const machine: MachineLike = {
  apiVersion: 'clusterd.dev/v1alpha1', kind: 'Machine', metadata: { name: 'cp-0', namespace: 'default', uid: 'm-uid-1' },
  spec: { clusterName: 'lc', version: KUBE_TEST_VERSION },
};

const worker: MachineLike = {
  apiVersion: 'clusterd.dev/v1alpha1', kind: 'Machine', metadata: { name: 'w-0', namespace: 'default', uid: 'm-uid-2' },
  spec: { clusterName: 'lc', version: KUBE_TEST_VERSION },
};

/** Host pids of every process inside the network namespace. */
function processesIn(netnsPath: string): number[] {
  const ns = netnsName(netnsPath);
  return hostProcesses().filter((p) => p.netns === ns).map((p) => p.pid);
}

const alive = (pid: number): boolean => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

test('local provider: a control-plane machine runs the real control plane from clusterd agent init, a worker joins through the endpoint, and deleting them leaves nothing on the host', { timeout: 170_000 }, async (t) => {
  const kubectl = kubeBinary(KUBE_TEST_VERSION, 'kubectl');
  for (const b of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const) kubeBinary(KUBE_TEST_VERSION, b);
  assert.equal(missingPrerequisites(), undefined, 'this test needs root and iproute2 (as CI has)');

  const dataDir = mkdtempSync(join(tmpdir(), 'clusterd-local-'));
  const provider = createLocalProvider({ dataDir, logger: silentLogger() });
  const mdir = provider.machinePath('default', 'lc', 'cp-0');
  let deleted = false;
  t.after(async () => {
    if (!deleted) {
      await provider.deleteMachine({ cluster, machine: worker }).catch(() => undefined);
      await provider.deleteMachine({ cluster, machine }).catch(() => undefined);
      await provider.deleteClusterInfrastructure({ cluster }).catch(() => undefined);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  const diagnostics = (): string => ['var/log/cloud-init-output.log'].map((f) => {
    const p = join(mdir, 'root', f);
    return existsSync(p) ? `--- ${f}\n${readFileSync(p, 'utf8').slice(-3000)}` : `--- ${f}: none`;
  }).join('\n') + `\n--- supervisor.log\n${existsSync(join(mdir, 'supervisor.log')) ? readFileSync(join(mdir, 'supervisor.log'), 'utf8').slice(-3000) : ''}`;

  const started = Date.now();
  const infra = await provider.reconcileClusterInfrastructure({ cluster });
  assert.equal(infra.status, 'done', JSON.stringify(infra));
  const endpoint = infra.status === 'done' ? infra.value.controlPlaneEndpoint! : { host: '', port: 0 };
  assert.match(endpoint.host, /^10\.241\.77\.\d+$/);

  const token = newBootstrapToken();
  const userData = renderCloudInit({
    role: 'init', nodeName: 'cp-0', clusterName: 'lc', version: KUBE_TEST_VERSION, controlPlaneEndpoint: endpoint, token: token,
  });
  const created = await provider.createOrGetMachine({ cluster, machine, userData });
  assert.equal(created.status, 'done', JSON.stringify(created));
  const pm = created.status === 'done' ? created.value : undefined;
  assert.equal(pm?.state, 'Running');
  assert.equal(pm?.providerID, 'local:///default/lc/cp-0');
  const address = pm!.addresses.find((a) => a.type === 'InternalIP')!.address;
  assert.match(address, /^10\.241\.77\.\d+$/);
  assert.notEqual(address, endpoint.host);

  // Asked again (the controller does, every reconcile): the same machine, not a second boot.
  const rec = JSON.parse(readFileSync(join(mdir, 'machine.json'), 'utf8')) as MachineRecord;
  const again = await provider.createOrGetMachine({ cluster, machine, userData });
  assert.deepEqual(again, created);
  assert.equal((JSON.parse(readFileSync(join(mdir, 'machine.json'), 'utf8')) as MachineRecord).pid, rec.pid);

  // cloud-init's first boot finishes inside the machine: the agent ran init there.
  const adminConf = join(mdir, 'root', 'etc/kubernetes/admin.conf');
  const boot = await eventually('cloud-init to finish', () => {
    const log = join(mdir, 'root', 'var/log/cloud-init-output.log');
    if (existsSync(log) && /exited with \d+/.test(readFileSync(log, 'utf8'))) return 'failed';
    return existsSync(join(mdir, 'root', 'var/lib/cloud/instance/boot-finished')) && 'finished';
  }, 120_000, 500).catch((err: unknown) => assert.fail(`${err instanceof Error ? err.message : String(err)}\n${diagnostics()}`));
  assert.equal(boot, 'finished', `cloud-init failed in the machine:\n${diagnostics()}`);
  assert.match(readFileSync(join(mdir, 'root', 'var/log/cloud-init-output.log'), 'utf8'), /Your Kubernetes control-plane has initialized successfully!/);
  // The agent wrote the machine's own /etc/kubernetes, not the host's.
  assert.ok(existsSync(adminConf));
  assert.ok(!existsSync('/etc/kubernetes/admin.conf') || readFileSync('/etc/kubernetes/admin.conf', 'utf8') !== readFileSync(adminConf, 'utf8'));

  // kubectl, through the machine's own address, as the admin identity the agent wrote.
  const kc = async (...args: string[]): Promise<string> => (await exec(kubectl, ['--kubeconfig', adminConf, '--server', `https://${address}:6443`, '--request-timeout=10s', ...args])).stdout;
  type Node = { metadata: { name: string }; spec: { providerID?: string }; status: { conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[]; nodeInfo: { kubeletVersion: string } } };
  const node = await eventually('the Node to be Ready', async () => {
    const n = JSON.parse(await kc('get', 'node', 'cp-0', '-o', 'json').catch(() => '{}')) as Partial<Node>;
    return n.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? n as Node : undefined;
  }, 60_000, 500);
  assert.equal(node.spec.providerID, 'local:///default/lc/cp-0');
  assert.deepEqual(node.status.addresses.find((a) => a.type === 'InternalIP'), { type: 'InternalIP', address });
  assert.equal(node.status.nodeInfo.kubeletVersion, KUBE_TEST_VERSION);

  type Pod = { metadata: { name: string; annotations?: Record<string, string> }; spec: { nodeName: string }; status: { phase: string; containerStatuses?: { ready: boolean; state: Record<string, unknown> }[] } };
  const want = ['etcd-cp-0', 'kube-apiserver-cp-0', 'kube-controller-manager-cp-0', 'kube-scheduler-cp-0'];
  const pods = await eventually('the four mirror Pods to be Running and ready', async () => {
    const list = JSON.parse(await kc('-n', 'kube-system', 'get', 'pods', '-o', 'json').catch(() => '{"items":[]}')) as { items: Pod[] };
    const mine = list.items.filter((p) => want.includes(p.metadata.name));
    const ok = mine.length === 4 && mine.every((p) => p.status.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready && 'running' in c.state));
    return ok ? mine : undefined;
  }, 60_000, 500);
  for (const p of pods) {
    assert.ok(p.metadata.annotations?.['kubernetes.io/config.mirror'], `${p.metadata.name} is a mirror Pod`);
    assert.equal(p.spec.nodeName, 'cp-0');
  }
  // The real components are what answers: the API server reports the binary's version, through the load balancer too.
  const version = JSON.parse((await exec(kubectl, ['--kubeconfig', adminConf, 'version', '-o', 'json'])).stdout) as { serverVersion: { gitVersion: string } };
  assert.equal(version.serverVersion.gitVersion, KUBE_TEST_VERSION);
  const booted = Date.now() - started;
  // The endpoint's health check sees the member ready through its /readyz.
  const lbStatus = await eventually('the load balancer to see the member ready', () => {
    const f = join(dataDir, 'default', 'lc', 'lb-status.json');
    const st = existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) as { members: { host: string; port: number; ready: boolean }[] } : undefined;
    return st?.members.some((m) => m.ready) ? st : undefined;
  }, 20_000, 500);
  assert.deepEqual(lbStatus.members, [{ host: address, port: 6443, ready: true }]);

  // A manifest whose image has no built binary: its mirror Pod is Waiting with the reason, a Warning Event says
  // which binary is missing, and nothing claims it runs. Removing the manifest removes the mirror Pod.
  writeFileSync(join(mdir, 'root', 'etc/kubernetes/manifests/unbuilt.yaml'), [
    'apiVersion: v1', 'kind: Pod', 'metadata: {name: unbuilt, namespace: kube-system}',
    'spec: {hostNetwork: true, containers: [{name: sched, image: "registry.k8s.io/kube-scheduler:v1.99.0", command: [kube-scheduler]}]}', '',
  ].join('\n'));
  const unbuilt = await eventually('the unbuilt Pod to be reported', async () => {
    const p = JSON.parse(await kc('-n', 'kube-system', 'get', 'pod', 'unbuilt-cp-0', '-o', 'json').catch(() => '{}')) as Partial<Pod>;
    return p.status?.containerStatuses?.length ? p as Pod : undefined;
  }, 30_000, 500);
  assert.equal(unbuilt.status.phase, 'Pending');
  assert.deepEqual(Object.keys(unbuilt.status.containerStatuses![0]!.state), ['waiting']);
  assert.equal(unbuilt.status.containerStatuses![0]!.ready, false);
  const events = await eventually('the Warning Event', async () => {
    const list = JSON.parse(await kc('-n', 'kube-system', 'get', 'events', '--field-selector', 'involvedObject.name=unbuilt-cp-0', '-o', 'json')) as { items: { type: string; reason: string; message: string }[] };
    return list.items.length > 0 ? list.items : undefined;
  }, 30_000, 500);
  assert.equal(events[0]!.type, 'Warning');
  assert.match(events[0]!.message, /kube-scheduler v1\.99\.0 is not built/);
  rmSync(join(mdir, 'root', 'etc/kubernetes/manifests/unbuilt.yaml'));
  await eventually('the unbuilt mirror Pod to go', async () => (await kc('-n', 'kube-system', 'get', 'pods', '-o', 'name')).includes('unbuilt') ? undefined : true, 30_000, 500);

  // A restarted daemon's provider re-attaches to the running machine: no second boot, the same processes.
  const restarted = createLocalProvider({ dataDir, logger: silentLogger() });
  assert.deepEqual(await restarted.createOrGetMachine({ cluster, machine, userData }), created);
  assert.equal((JSON.parse(readFileSync(join(mdir, 'machine.json'), 'utf8')) as MachineRecord).pid, rec.pid);
  assert.equal(readFileSync(join(mdir, 'root', 'var/log/cloud-init-output.log'), 'utf8').match(/running 'modules:config'/g)?.length, 1);

  // A worker joins through the endpoint: its agent's CSR is approved and signed by the real kube-controller-manager.
  const joinStarted = Date.now();
  const wData = renderCloudInit({
    role: 'join-worker', nodeName: 'w-0', clusterName: 'lc', version: KUBE_TEST_VERSION, controlPlaneEndpoint: endpoint, token: token,
    caCertHashes: [caCertHash(readFileSync(join(mdir, 'root', 'etc/kubernetes/pki/ca.crt'), 'utf8'))],
  });
  const w = await provider.createOrGetMachine({ cluster, machine: worker, userData: wData });
  assert.equal(w.status, 'done', JSON.stringify(w));
  const wdir = provider.machinePath('default', 'lc', 'w-0');
  const wlog = join(wdir, 'root', 'var/log/cloud-init-output.log');
  await eventually('the worker Node to be Ready', async () => {
    if (existsSync(wlog) && /exited with \d+/.test(readFileSync(wlog, 'utf8'))) assert.fail(`worker cloud-init failed:\n${readFileSync(wlog, 'utf8').slice(-3000)}`);
    const n = JSON.parse(await kc('get', 'node', 'w-0', '-o', 'json').catch(() => '{}')) as Partial<Node>;
    return n.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') || undefined;
  }, 60_000, 500);
  const joined = Date.now() - joinStarted;
  type Csr = { spec: { username: string; signerName: string }; status: { certificate?: string; conditions?: { type: string; reason: string }[] } };
  const csrs = JSON.parse(await kc('get', 'csr', '-o', 'json')) as { items: Csr[] };
  const wcsr = csrs.items.find((c) => c.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet' && c.spec.username.startsWith('system:bootstrap:'));
  assert.ok(wcsr?.status.certificate, 'the worker\'s CSR was signed');
  assert.equal(wcsr?.status.conditions?.find((c) => c.type === 'Approved')?.reason, 'AutoApproved', 'approved by kube-controller-manager\'s csrapproving controller');
  const wrec = JSON.parse(readFileSync(join(wdir, 'machine.json'), 'utf8')) as MachineRecord;

  // Delete: the machines' processes, namespaces, veths and (last machine) bridge go.
  const inside = processesIn(`/run/netns/${rec.netns}`);
  assert.ok(inside.length >= 5, `supervisor and four components run in the machine (found ${inside.length})`);
  inside.push(...processesIn(`/run/netns/${wrec.netns}`));
  const t0 = Date.now();
  assert.deepEqual(await provider.deleteMachine({ cluster, machine: worker }), { status: 'done', value: undefined });
  assert.ok(existsSync(`/sys/class/net/${rec.bridge}`), 'the bridge stays while a machine is on it');
  assert.deepEqual(await provider.deleteMachine({ cluster, machine }), { status: 'done', value: undefined });
  assert.deepEqual(await provider.deleteClusterInfrastructure({ cluster }), { status: 'done', value: undefined });
  deleted = true;
  const deleteMs = Date.now() - t0;
  assert.deepEqual(inside.filter(alive), [], 'no process of the machine is left');
  for (const r of [rec, wrec]) {
    assert.ok(!existsSync(`/run/netns/${r.netns}`), 'network namespace removed');
    assert.ok(!existsSync(`/sys/class/net/${r.veth}`), 'veth removed');
  }
  assert.ok(!existsSync(`/sys/class/net/${rec.bridge}`), 'bridge removed with the last machine');
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(dataDir), 'no mount of the machine on the host');
  const leftovers = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dataDir);
    } catch {
      return false;
    }
  });
  assert.deepEqual(leftovers, [], 'no supervisor or load balancer left');
  assert.ok(!existsSync(mdir));
  t.diagnostic(`boot to Node Ready and 4 mirror Pods Running: ${booted} ms; worker join to Ready: ${joined} ms; delete both: ${deleteMs} ms`);
});
