/**
 * The `local` provider's decisions and its host-facing edges: config schema and range checks, the prerequisite check
 * (a host without root or iproute2 gets a clear failure and nothing is created), a range that collides with the host,
 * image-to-binary resolution against the real kube cache, cloud-init's runcmd script, and deleting a machine that
 * never finished booting. Network parts need root and iproute2, as CI has; they fail without them, never skip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBE_TEST_VERSION, kubeBinary, kubeBinDir } from '../../lib/kube-binaries.js';
import { silentLogger } from '../../lib/logging.js';
import { validateProviderConfig } from '../../providers/config.js';
import { defaultRegistry } from '../../providers/registry.js';
import { parseUserData, runcmdScript } from '../../providers/local/cloudinit.js';
import { runProbe } from '../../providers/local/kubelet/container.js';
import { resolveImage } from '../../providers/local/kubelet/images.js';
import type { MachineRecord } from '../../providers/local/layout.js';
import { bridgeName, missingPrerequisites, rangeCollisions } from '../../providers/local/net.js';
import { createLocalProvider } from '../../providers/local/provider.js';
import { routable } from '../../providers/local/lb-main.js';
import type { ClusterLike, MachineLike } from '../../providers/types.js';

const cluster = (range: string, name = 'lt'): ClusterLike => ({
  apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster', metadata: { name, namespace: 'default', uid: `${name}-uid` },
  spec: { infrastructure: { provider: 'local', config: { addressRange: range } } },
});
const machine = (name: string): MachineLike => ({
  apiVersion: 'clusterd.dev/v1alpha1', kind: 'Machine', metadata: { name, namespace: 'default', uid: `${name}-uid` }, spec: { version: KUBE_TEST_VERSION },
});
const tmp = (): string => mkdtempSync(join(tmpdir(), 'clusterd-local-unit-'));

test('local: registered as infrastructure.provider "local"; its config defaults and rejects a public or oversized range by field', async () => {
  const dir = tmp();
  try {
    const reg = defaultRegistry((name) => ({ dataDir: join(dir, name), logger: silentLogger() }));
    assert.ok(reg.names().includes('local'));
    const p = await reg.get('local');
    assert.equal(p.name, 'local');
    const ok = validateProviderConfig(p, {});
    assert.deepEqual(ok.errors, []);
    assert.deepEqual(ok.config, { addressRange: '10.240.0.0/16', loadBalancerPort: 6443 });
    const pub = validateProviderConfig(p, { addressRange: '8.8.0.0/16' });
    assert.equal(pub.errors[0]?.field, 'spec.infrastructure.config.addressRange');
    assert.match(pub.errors[0]?.detail ?? '', /private range/);
    assert.match(validateProviderConfig(p, { addressRange: '10.0.0.0/8' }).errors[0]?.detail ?? '', /\/16 or smaller/);
    assert.equal(validateProviderConfig(p, { loadBalancerPort: 0 }).errors[0]?.field, 'spec.infrastructure.config.loadBalancerPort');
    assert.equal(validateProviderConfig(p, { flavor: 'x' }).errors[0]?.field, 'spec.infrastructure.config.flavor');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local: a host without root or iproute2 gets a condition naming what is missing, and nothing is created', async () => {
  const facts = { uid: 1000, platform: 'linux', hasCommand: (c: string) => c !== 'ip' };
  const why = missingPrerequisites(facts);
  assert.match(why ?? '', /needs root .*, the "ip" command of iproute2 \(apt-get install iproute2\)$/);
  assert.equal(missingPrerequisites({ uid: 0, platform: 'linux', hasCommand: () => true }), undefined);

  const dir = tmp();
  try {
    const p = createLocalProvider({ dataDir: dir, logger: silentLogger() }, { missingPrerequisites: () => why });
    const c = cluster('10.241.90.0/24');
    const res = await p.reconcileClusterInfrastructure({ cluster: c });
    assert.deepEqual(res, { status: 'failed', reason: 'MissingPrerequisites', message: why });
    assert.deepEqual(readdirSync(dir), [], 'no state written');
    assert.ok(!existsSync(`/sys/class/net/${bridgeName('10.241.90.0/24')}`), 'no bridge created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local: an address range that overlaps the host\'s own addresses is refused with what it collides with', async () => {
  assert.equal(missingPrerequisites(), undefined, 'needs root and iproute2 (as CI has)');
  const link = 'cldtestcoll0';
  const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
  ip('link', 'del', link);
  assert.equal(ip('link', 'add', link, 'type', 'bridge').status, 0);
  const dir = tmp();
  try {
    assert.equal(ip('addr', 'add', '10.242.5.1/24', 'dev', link).status, 0);
    assert.deepEqual(rangeCollisions('10.242.0.0/16'), [`address 10.242.5.1/24 on ${link}`]);
    assert.deepEqual(rangeCollisions('10.242.6.0/24'), []);
    const p = createLocalProvider({ dataDir: dir, logger: silentLogger() });
    const res = await p.reconcileClusterInfrastructure({ cluster: cluster('10.242.0.0/16') });
    assert.equal(res.status, 'failed');
    assert.equal(res.status === 'failed' && res.reason, 'AddressRangeInUse');
    assert.match(res.status === 'failed' ? res.message : '', /10\.242\.0\.0\/16 collides with the host's address 10\.242\.5\.1\/24 on cldtestcoll0/);
    assert.deepEqual(readdirSync(dir), []);
    assert.ok(!existsSync(`/sys/class/net/${bridgeName('10.242.0.0/16')}`));
  } finally {
    ip('link', 'del', link);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local kubelet: an image tag picks the built binary of that version; etcd by the version a built release pins; anything else says what is missing', () => {
  const apiserver = kubeBinary(KUBE_TEST_VERSION, 'kube-apiserver');
  const r = resolveImage(`registry.k8s.io/kube-apiserver:${KUBE_TEST_VERSION}`);
  assert.ok(!(r instanceof Error), String(r));
  assert.equal(!(r instanceof Error) && r.binary, apiserver);
  assert.equal(!(r instanceof Error) && r.binDir, kubeBinDir(KUBE_TEST_VERSION));

  const etcdVersion = /etcd Version:\s*(\S+)/.exec(spawnSync(kubeBinary(KUBE_TEST_VERSION, 'etcd'), ['--version'], { encoding: 'utf8' }).stdout)?.[1];
  assert.ok(etcdVersion);
  const e = resolveImage(`registry.k8s.io/etcd:${etcdVersion}-0`);
  assert.ok(!(e instanceof Error), String(e));
  assert.equal(!(e instanceof Error) && e.version, `v${etcdVersion}`);

  const missing = resolveImage('registry.k8s.io/kube-apiserver:v1.99.0');
  assert.ok(missing instanceof Error);
  assert.match(missing.message, /kube-apiserver v1\.99\.0 is not built in .*v1\.99\.0\/bin/);
  const oldEtcd = resolveImage('registry.k8s.io/etcd:3.1.0-0');
  assert.ok(oldEtcd instanceof Error);
  assert.match(oldEtcd.message, /etcd v3\.1\.0 is not built .*built: .*with Kubernetes/);
  const coredns = resolveImage('registry.k8s.io/coredns/coredns:v1.12.0');
  assert.ok(coredns instanceof Error);
  assert.match(coredns.message, /no binary is built for coredns/);
});

test('local cloud-init: runcmd becomes the shell script cloud-init writes, entries as written and lists quoted word by word', () => {
  const cfg = parseUserData('#cloud-config\nruncmd:\n  - echo one && echo two\n  - [sh, -c, "echo it\'s"]\n  - clusterd agent init --config /run/clusterd/kubeadm.yaml\n');
  assert.equal(runcmdScript(cfg), "#!/bin/sh\necho one && echo two\nsh -c 'echo it'\\''s'\nclusterd agent init --config /run/clusterd/kubeadm.yaml\n");
});

test('local: a machine deleted while it boots (and one that never existed) is deleted without hanging, leaving no namespace or process', { timeout: 60_000 }, async () => {
  assert.equal(missingPrerequisites(), undefined, 'needs root and iproute2 (as CI has)');
  const dir = tmp();
  const range = '10.241.91.0/24';
  const p = createLocalProvider({ dataDir: dir, logger: silentLogger() });
  const c = cluster(range, 'never');
  try {
    assert.equal((await p.reconcileClusterInfrastructure({ cluster: c })).status, 'done');
    // Its first boot would run for a long time: the machine is deleted in the middle of it.
    const res = await p.createOrGetMachine({ cluster: c, machine: machine('m0'), userData: '#cloud-config\nruncmd:\n  - sleep 600\n' });
    assert.equal(res.status, 'done');
    const rec = JSON.parse(readFileSync(join(p.machinePath('default', 'never', 'm0'), 'machine.json'), 'utf8')) as MachineRecord;
    assert.ok(existsSync(`/run/netns/${rec.netns}`));
    const t0 = Date.now();
    assert.deepEqual(await p.deleteMachine({ cluster: c, machine: machine('m0') }), { status: 'done', value: undefined });
    assert.ok(Date.now() - t0 < 20_000, `deleted in ${Date.now() - t0} ms`);
    assert.ok(!existsSync(`/run/netns/${rec.netns}`));
    assert.ok(!existsSync(`/sys/class/net/${rec.veth}`));
    assert.ok(!existsSync(`/proc/${rec.pid}`) || !readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').includes(dir));
    assert.deepEqual(await p.deleteMachine({ cluster: c, machine: machine('never-created') }), { status: 'done', value: undefined });
    assert.deepEqual(await p.deleteClusterInfrastructure({ cluster: c }), { status: 'done', value: undefined });
    assert.ok(!existsSync(`/sys/class/net/${rec.bridge}`), 'bridge gone with its last user');
    assert.deepEqual(await p.listMachines({ cluster: c }), []);
  } finally {
    await p.deleteClusterInfrastructure({ cluster: c }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local load balancer: new connections go to the members whose /readyz answers 200, to all of them while none does', () => {
  const a = { host: '10.0.0.2', port: 6443 };
  const b = { host: '10.0.0.3', port: 6443 };
  assert.deepEqual(routable([a, b], [false, true]), [b]);
  assert.deepEqual(routable([a, b], [true, true]), [a, b]);
  assert.deepEqual(routable([a, b], [false, false]), [a, b]);
  assert.deepEqual(routable([], []), []);
});

test('local kubelet: a probe may name its port (kubeadm probes "probe-port"); an unknown name fails the probe', async () => {
  const server = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  try {
    const ports = [{ name: 'probe-port', containerPort: port }];
    assert.equal(await runProbe({ httpGet: { path: '/livez', port: 'probe-port' } }, '127.0.0.1', ports), true);
    assert.equal(await runProbe({ httpGet: { path: '/livez', port } }, '127.0.0.1'), true);
    assert.equal(await runProbe({ httpGet: { path: '/livez', port: 'other-port' } }, '127.0.0.1', ports), false);
    assert.equal(await runProbe({ tcpSocket: { port: 'probe-port' } }, '127.0.0.1', ports), true);
  } finally {
    server.close();
  }
});
