/**
 * The issue's "Done when" scenarios as functions over the harness, so the ordinary e2e file and the
 * kill/restart file (scenario 6) compose the same steps. Waits are bounded; assertions check the world.
 */
import assert from 'node:assert/strict';
import type { Machine, MachineSet } from '../../api/v1alpha1/index.js';
import { Labels } from '../../api/v1alpha1/index.js';
import { KUBE_PREVIOUS_TEST_VERSION, KUBE_TEST_VERSION } from '../../lib/kube-binaries.js';
import { EndpointProber, type E2E } from './harness.js';

/** The upgrade the scenarios make: the previous minor's test version to the default. */
const FROM = KUBE_PREVIOUS_TEST_VERSION;
const TO = KUBE_TEST_VERSION;
const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface List<T> {
  items: T[];
}
interface Node {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { providerID?: string };
  status?: { conditions?: Array<{ type: string; status: string }>; nodeInfo?: { kubeletVersion?: string } };
}
interface CSR {
  metadata: { name: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

const CP_ROLE = 'node-role.kubernetes.io/control-plane';
const nodeReady = (n: Node): boolean => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const isCP = (m: Machine): boolean => m.metadata.labels?.[Labels.controlPlane] !== undefined;
const deleting = (m: Machine): boolean => Boolean(m.metadata.deletionTimestamp);
const machineReady = (m: Machine): boolean => {
  if (deleting(m)) return false;
  const ready = m.status?.conditions?.find((c) => c.type === 'Ready');
  return ready ? ready.status === 'True' : m.status?.phase === 'Running' && Boolean(m.status.nodeRef);
};

export async function machines(e: E2E): Promise<Machine[]> {
  return (await e.json<List<Machine>>('get', 'ma', '-l', `${Labels.clusterName}=demo`)).items;
}

export async function nodes(e: E2E): Promise<Node[]> {
  return (await JSON.parse(await e.workloadKubectl('demo', 'get', 'nodes', '-o', 'json')) as List<Node>).items;
}

/**
 * The world is settled: cp control-plane and workers worker Machines, all Running; provider machines =
 * Machines = Ready Nodes (by name and providerID); every MachineSet has exactly its replicas.
 * Returns undefined when it holds, else what is still off (so callers can poll on it).
 */
export async function unsettled(e: E2E, cp: number, workers: number): Promise<string | undefined> {
  const ms = await machines(e);
  if (ms.some(deleting)) return `machines still deleting: ${ms.filter(deleting).map((m) => m.metadata.name).join(',')}`;
  const cps = ms.filter(isCP).length;
  if (cps !== cp || ms.length - cps !== workers) return `${cps} control-plane and ${ms.length - cps} worker Machines, want ${cp} and ${workers}`;
  const notRunning = ms.filter((m) => m.status?.phase !== 'Running' || !m.status.nodeRef);
  if (notRunning.length > 0) return `not Running yet: ${notRunning.map((m) => `${m.metadata.name}=${m.status?.phase}`).join(',')}`;
  const names = ms.map((m) => m.metadata.name!).sort();
  const provider = e.providerMachines('demo');
  if (provider.join() !== names.join()) return `provider machines [${provider.join()}] != Machines [${names.join()}]`;
  const ns = await nodes(e);
  const nodeIDs = ns.map((n) => n.spec?.providerID ?? '').sort();
  const machineIDs = ms.map((m) => m.spec.providerID ?? '').sort();
  if (nodeIDs.join() !== machineIDs.join()) return `Node providerIDs [${nodeIDs.join()}] != Machine providerIDs [${machineIDs.join()}]`;
  if (!ns.every(nodeReady)) return `Nodes not Ready: ${ns.filter((n) => !nodeReady(n)).map((n) => n.metadata.name).join(',')}`;
  for (const set of (await e.json<List<MachineSet>>('get', 'ms', '-l', `${Labels.clusterName}=demo`)).items) {
    const owned = ms.filter((m) => m.metadata.labels?.[Labels.setName] === set.metadata.name).length;
    if (owned !== (set.spec.replicas ?? 1)) return `MachineSet ${set.metadata.name} has ${owned} Machines for ${set.spec.replicas} replicas`;
  }
  return undefined;
}

export async function settles(e: E2E, cp: number, workers: number, timeoutMs: number): Promise<void> {
  let why: string | undefined;
  await e.until(`${cp}+${workers} machines settled`, async () => {
    why = await unsettled(e, cp, workers);
    return why === undefined;
  }, timeoutMs, 1000).catch((err: Error) => {
    throw new Error(`${why ?? ''}\n${err.message}`);
  });
}

/**
 * 1. quickstart: demo Provisioned with 3/3 control plane, demo-workers 3/3 ready, six Ready nodes. It starts at the
 * previous minor's test version (v1.36.3) so that scenario 3 can upgrade it to the default (v1.37.2).
 */
export async function quickstartConverges(e: E2E, timeoutMs = 120_000): Promise<void> {
  await e.apply('examples/quickstart.yaml', { version: FROM });
  await e.until('demo Provisioned 3/3', async () =>
    (await e.jsonpath(['get', 'cl', 'demo'], '{.status.phase} {.status.controlPlane.summary}')) === 'Provisioned 3/3', timeoutMs, 1000);
  await e.until('demo-workers 3/3 ready', async () =>
    (await e.jsonpath(['get', 'md', 'demo-workers'], '{.status.readyReplicas}')) === '3', timeoutMs, 1000);
  await settles(e, 3, 3, timeoutMs);
}

/** Scenario 1's checks of what users see: printer columns, node roles and versions, approved CSRs. */
export async function quickstartLooksRight(e: E2E): Promise<void> {
  const table = await e.kubectl('get', 'cl,md');
  assert.match(table, /NAME\s+PHASE\s+CONTROL PLANE\s+VERSION\s+ENDPOINT/);
  assert.match(table, new RegExp(`cluster\\.clusterd\\.dev/demo\\s+Provisioned\\s+3/3\\s+${re(FROM)}\\s+127\\.\\d+\\.\\d+\\.\\d+\\s`));
  assert.match(table, new RegExp(`machinedeployment\\.clusterd\\.dev/demo-workers\\s+demo\\s+3\\s+3\\s+3\\s+(0|<none>)?\\s*\\S+\\s+\\S+\\s+${re(FROM)}`));
  const ns = await nodes(e);
  assert.equal(ns.length, 6);
  assert.ok(ns.every(nodeReady), 'all six nodes Ready');
  assert.equal(ns.filter((n) => n.metadata.labels?.[CP_ROLE] !== undefined).length, 3, 'three control-plane nodes');
  assert.deepEqual([...new Set(ns.map((n) => n.status?.nodeInfo?.kubeletVersion))], [FROM]);
  assert.match(await e.workloadKubectl('demo', 'get', 'nodes'), new RegExp(`control-plane\\s+\\S+\\s+${re(FROM)}`));
  // the simulated API servers report the version of the manifest they run
  assert.equal((JSON.parse(await e.workloadKubectl('demo', 'version', '-o', 'json')) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion, FROM);
  const csrs = (JSON.parse(await e.workloadKubectl('demo', 'get', 'csr', '-o', 'json')) as List<CSR>).items;
  // kubeadm init writes the first kubelet's credentials itself; every joining kubelet asks with a CSR.
  assert.ok(csrs.length >= ns.length - 1, `a kubelet CSR per joined node, got ${csrs.length}`);
  for (const c of csrs) assert.ok(c.status?.conditions?.some((x) => x.type === 'Approved' && x.status === 'True'), `CSR ${c.metadata.name} approved`);
}

/** 2. Scale the workers to 10 then 2 with deletePolicy Oldest: the two survivors are the newest Machines. */
export async function scaleWorkers(e: E2E, timeoutMs = 150_000): Promise<void> {
  await e.kubectl('patch', 'md', 'demo-workers', '--type=merge', '-p', '{"spec":{"strategy":{"rollingUpdate":{"deletePolicy":"Oldest"}}}}');
  await e.until('MachineSet deletePolicy Oldest', async () =>
    (await e.jsonpath(['get', 'ms', '-l', `${Labels.deploymentName}=demo-workers`], '{.items[*].spec.deletePolicy}')) === 'Oldest', 30_000);
  await e.kubectl('scale', 'md', 'demo-workers', '--replicas=10');
  await settles(e, 3, 10, timeoutMs);
  await e.waitFor('md/demo-workers', '{.status.readyReplicas}=10', 30_000);
  const before = (await machines(e)).filter((m) => !isCP(m));
  await e.kubectl('scale', 'md', 'demo-workers', '--replicas=2');
  await settles(e, 3, 2, timeoutMs);
  await e.waitFor('md/demo-workers', '{.status.replicas}=2', 30_000);
  const kept = new Set((await machines(e)).filter((m) => !isCP(m)).map((m) => m.metadata.name));
  assert.equal(kept.size, 2);
  const created = (m: Machine): number => Date.parse(m.metadata.creationTimestamp!);
  const newestGone = Math.max(...before.filter((m) => !kept.has(m.metadata.name)).map(created));
  for (const m of before.filter((x) => kept.has(x.metadata.name))) {
    assert.ok(created(m) >= newestGone, `Oldest policy: kept ${m.metadata.name} (${m.metadata.creationTimestamp}) is not older than any deleted Machine`);
  }
}

/** 4. A standalone worker Machine joins and goes Running; deleting it removes its Node and provider machine. */
export async function standaloneWorker(e: E2E, timeoutMs = 90_000, workers = 2): Promise<void> {
  await e.apply('examples/worker-machine.yaml');
  await e.until('demo-extra-worker Running', async () =>
    (await e.jsonpath(['get', 'ma', 'demo-extra-worker'], '{.status.phase}')) === 'Running', timeoutMs, 1000);
  await settles(e, 3, workers + 1, timeoutMs);
  const node = await e.jsonpath(['get', 'ma', 'demo-extra-worker'], '{.status.nodeRef.name}');
  assert.ok(node, 'nodeRef set');
  assert.match(await e.workloadKubectl('demo', 'get', 'node', node, '-L', 'pool'), /standalone/);
  assert.ok(e.providerMachines('demo').includes('demo-extra-worker'), 'provider machine exists');
  // Its cloud-init wrote the file whose content came from a Secret (contentFrom).
  assert.equal(e.machineFile('demo', 'demo-extra-worker', 'etc/motd'), 'demo-extra-worker: managed by clusterd\n');
  await e.until('demo-extra-worker deleted', async () => {
    await e.kubectl('delete', 'ma', 'demo-extra-worker', '--ignore-not-found', '--wait=true', '--timeout=60s');
    return true;
  }, timeoutMs, 1000);
  assert.ok(!(await e.workloadKubectl('demo', 'get', 'nodes', '-o', 'name')).includes(`node/${node}`), 'its Node is gone');
  assert.ok(!e.providerMachines('demo').includes('demo-extra-worker'), 'its provider machine is gone');
  await settles(e, 3, workers, timeoutMs);
}

export interface InvariantLog {
  events: number;
  violations: string[];
}

/**
 * 3. A worker bump to v1.37.2 ahead of the control plane is held with a clear condition; then the control plane
 * goes v1.36.3 → v1.37.2 and the workers follow, invariants checked on every Machine watch event and
 * the endpoint probed every 250 ms.
 * withInvariants=false (the kill/restart run) skips the watch and the prober: a killed daemon takes the
 * simulated machines and their load balancer down with it.
 */
export async function upgrade(e: E2E, timeoutMs = 180_000, withInvariants = true, workers = 2): Promise<{ cp: InvariantLog; md: InvariantLog; probes?: EndpointProber }> {
  const cpLog: InvariantLog = { events: 0, violations: [] };
  const mdLog: InvariantLog = { events: 0, violations: [] };
  const CP_REPLICAS = 3;
  const maxSurge = 1;
  const maxUnavailable = 0;
  let phase: 'cp' | 'md' | 'idle' = 'cp';
  const informer = withInvariants
    ? await e.watchMachines((all) => {
      const ms = all.filter((m) => m.metadata.labels?.[Labels.clusterName] === 'demo');
      if (phase === 'cp') {
        cpLog.events++;
        const ready = ms.filter((m) => isCP(m) && machineReady(m)).length;
        if (ready < CP_REPLICAS - 1) {
          const state = ms.filter(isCP).map((m) => `${m.metadata.name}:${m.status?.phase}:ready=${m.status?.conditions?.find((c) => c.type === 'Ready')?.status}/${m.status?.conditions?.find((c) => c.type === 'Ready')?.reason}${deleting(m) ? ':deleting' : ''}`);
          cpLog.violations.push(`${new Date().toISOString()} only ${ready} control-plane Machines Ready: ${state.join(' ')}`);
        }
      } else if (phase === 'md') {
        mdLog.events++;
        const w = ms.filter((m) => m.metadata.labels?.[Labels.deploymentName] === 'demo-workers' && !deleting(m));
        const available = w.filter(machineReady).length;
        if (w.length > workers + maxSurge) mdLog.violations.push(`${new Date().toISOString()} ${w.length} worker Machines > ${workers}+${maxSurge}`);
        if (available < workers - maxUnavailable) mdLog.violations.push(`${new Date().toISOString()} ${available} available < ${workers}-${maxUnavailable}`);
      }
    })
    : undefined;
  const probes = withInvariants ? EndpointProber.fromKubeconfig(await e.workloadKubeconfig('demo')) : undefined;
  probes?.start(250);
  try {
    // Workers newer than the control plane: held, with a condition that says why; then put back.
    await e.kubectl('patch', 'md', 'demo-workers', '--type=merge', '-p', `{"spec":{"template":{"spec":{"version":"${TO}"}}}}`);
    await e.waitFor('md/demo-workers', '{.status.conditions[?(@.type=="VersionSkewOk")].reason}=ControlPlaneVersionBehind', 60_000);
    assert.equal(await e.jsonpath(['get', 'md', 'demo-workers'], '{.status.conditions[?(@.type=="VersionSkewOk")].status}'), 'False');
    assert.match(await e.jsonpath(['get', 'md', 'demo-workers'], '{.status.conditions[?(@.type=="VersionSkewOk")].message}'), /control plane/);
    assert.equal(await unsettled(e, CP_REPLICAS, workers), undefined);
    assert.ok((await machines(e)).every((m) => m.spec.version === FROM), `no Machine at ${TO}`);
    await e.kubectl('patch', 'md', 'demo-workers', '--type=merge', '-p', `{"spec":{"template":{"spec":{"version":"${FROM}"}}}}`);
    await e.waitFor('md/demo-workers', '{.status.conditions[?(@.type=="VersionSkewOk")].status}=True', 60_000);

    await e.kubectl('patch', 'cl', 'demo', '--type=merge', '-p', `{"spec":{"controlPlane":{"version":"${TO}"}}}`);
    await e.until(`control plane at ${TO}`, async () => {
      const ms = await machines(e);
      const cps = ms.filter(isCP);
      return cps.length === CP_REPLICAS && cps.every((m) => m.spec.version === TO && machineReady(m)) &&
        (await e.jsonpath(['get', 'cl', 'demo'], '{.status.controlPlane.version} {.status.controlPlane.summary}')) === `${TO} 3/3`;
    }, timeoutMs, 1000);
    await settles(e, CP_REPLICAS, workers, timeoutMs);
    await probes?.stop();
    // etcd has three voting members again, the new machines': each old member was removed through the etcd API
    const cpNodes = (await machines(e)).filter(isCP).map((m) => m.status?.nodeRef?.name).sort();
    assert.deepEqual(e.etcdMembers('demo').map((m) => [m.name, m.isLearner]).sort(), cpNodes.map((n) => [n, false]));
    phase = 'md';
    await e.kubectl('patch', 'md', 'demo-workers', '--type=merge', '-p', `{"spec":{"template":{"spec":{"version":"${TO}"}}}}`);
    await e.until(`workers at ${TO}`, async () => {
      const w = (await machines(e)).filter((m) => !isCP(m));
      return w.length === workers && w.every((m) => m.spec.version === TO && machineReady(m));
    }, timeoutMs, 1000);
    await settles(e, CP_REPLICAS, workers, timeoutMs);
    phase = 'idle';
    const versions = (await nodes(e)).map((n) => n.status?.nodeInfo?.kubeletVersion);
    assert.deepEqual([...new Set(versions)], [TO], `every node reports ${TO}`);

    // A control-plane change of two minors (here back to v1.35) is held on the Cluster with a condition that says why.
    const twoBack = `v1.${Number(TO.split('.')[1]) - 2}.0`;
    await e.kubectl('patch', 'cl', 'demo', '--type=merge', '-p', `{"spec":{"controlPlane":{"version":"${twoBack}"}}}`);
    await e.waitFor('cl/demo', '{.status.conditions[?(@.type=="VersionSkewOk")].status}=False', 60_000);
    assert.match(await e.jsonpath(['get', 'cl', 'demo'], '{.status.conditions[?(@.type=="VersionSkewOk")].message}'), /one minor version at a time/);
    assert.ok((await machines(e)).every((m) => m.spec.version === TO), `no Machine at ${twoBack}`);
    await e.kubectl('patch', 'cl', 'demo', '--type=merge', '-p', `{"spec":{"controlPlane":{"version":"${TO}"}}}`);
    await e.waitFor('cl/demo', '{.status.conditions[?(@.type=="VersionSkewOk")].status}=True', 60_000);

  } finally {
    await probes?.stop();
    await informer?.stop();
  }
  return { cp: cpLog, md: mdLog, probes };
}

/** 5. Deleting the Cluster removes everything, with nothing left in the provider. */
interface SecretObj {
  metadata: { name: string };
  type?: string;
  data?: Record<string, string>;
}

const unb64 = (v: string | undefined): string => Buffer.from(v ?? '', 'base64').toString('utf8');
/** A 64-character run from the middle of a PEM's body: enough to recognise the key wherever it is printed. */
const pemSample = (pem: string): string => pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('').slice(40, 104);

/**
 * The cluster's secret material: CA and service-account private keys, the admin kubeconfig's client key, the
 * certificate key, and every bootstrap token secret of the workload cluster. Returns where each one is found
 * in the given texts (nowhere, if secrets stay secret).
 */
export async function secretsFoundIn(e: E2E, texts: Record<string, string>): Promise<string[]> {
  const wanted: Record<string, string> = {};
  for (const n of ['ca', 'etcd', 'proxy', 'sa']) {
    const raw = (await e.json<SecretObj>('get', 'secret', `demo-${n}`)).data?.['tls.key'] ?? '';
    const key = unb64(raw);
    assert.match(key, /PRIVATE KEY/, `demo-${n} holds a private key`);
    wanted[`demo-${n} private key`] = pemSample(key);
    wanted[`demo-${n} private key (base64, as a Secret prints it)`] = raw.slice(40, 104);
  }
  const kubeconfig = unb64((await e.json<SecretObj>('get', 'secret', 'demo-kubeconfig')).data?.value);
  const clientKey = /client-key-data: (\S+)/.exec(kubeconfig)?.[1];
  assert.ok(clientKey, 'the admin kubeconfig has a client key');
  wanted['admin client key'] = pemSample(unb64(clientKey));
  wanted['admin client key (base64)'] = clientKey.slice(40, 104);
  wanted['certificate key'] = unb64((await e.json<SecretObj>('get', 'secret', 'demo-certificate-key')).data?.value);
  assert.match(wanted['certificate key'], /^[0-9a-f]{64}$/);
  const tokens = (JSON.parse(await e.workloadKubectl('demo', 'get', 'secrets', '-n', 'kube-system', '-o', 'json')) as List<SecretObj>).items
    .filter((x) => x.type === 'bootstrap.kubernetes.io/token');
  assert.ok(tokens.length > 0, 'the workload cluster has bootstrap tokens');
  for (const t of tokens) wanted[`bootstrap token ${unb64(t.data?.['token-id'])}`] = unb64(t.data?.['token-secret']);
  const found: string[] = [];
  for (const [what, value] of Object.entries(wanted)) {
    assert.ok(value.length >= 16, `${what} sampled`);
    for (const [where, text] of Object.entries(texts)) if (text.includes(value)) found.push(`${what} in ${where}`);
  }
  return found;
}

export async function deleteEverything(e: E2E, timeoutMs = 120_000): Promise<void> {
  await e.until('delete issued', async () => {
    await e.kubectl('delete', 'cl', 'demo', '--wait=false', '--ignore-not-found');
    return true;
  }, 30_000);
  await e.until('cluster gone', async () => (await e.kubectl('get', 'cl', '-o', 'name')).trim() === '', timeoutMs, 1000);
  assert.equal((await e.kubectl('get', 'ma,ms,md', '-o', 'name')).trim(), '');
  assert.doesNotMatch(await e.kubectl('get', 'secret', '-o', 'name'), /secret\/demo-/);
  assert.deepEqual(e.providerMachines('demo'), []);
  assert.equal(e.providerClusterExists('demo'), false, 'the provider removed the cluster');
}
