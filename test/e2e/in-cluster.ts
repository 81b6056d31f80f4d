/**
 * The second way to run: `clusterd run --kubeconfig` against an API server it does not own, with the identity and
 * permissions deploy/ gives it. The API server enforces RBAC and the daemon authenticates as the clusterd
 * ServiceAccount (a bearer token), so any permission deploy/rbac.yaml lacks shows up as a forbidden request and
 * the quickstart does not converge. Run on each backend (in-cluster.test.ts, in-cluster-kube.test.ts):
 * - embedded: clusterd's own API server with a static token for the ServiceAccount's user;
 * - kube: a real kube-apiserver, deploy/ applied with `kubectl apply -k`, and a real ServiceAccount token from the
 *   TokenRequest API (`kubectl create token`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { kubeconfigYaml } from '../../lib/kubeconfig.js';
import { repoRoot } from '../../lib/paths.js';
import { Client } from '../../runtime/client.js';
import { createOrUpdate, loadManifests, waitForCRDsEstablished } from '../../runtime/install.js';
import type { KubeObject } from '../../runtime/types.js';
import { ensureDead, spawnClusterd, type Daemon } from '../support/clusterd-process.js';
import { dryRunApplyDeploy } from '../support/deploy-manifests.js';
import { eventually } from '../support/eventually.js';
import { KubeControlPlane } from '../support/kube-control-plane.js';
import type { Backend } from './harness.js';

const SA_TOKEN = 'clusterd-sa-token-for-the-in-cluster-test';
const SA_USER = 'system:serviceaccount:clusterd-system:clusterd';

export function inClusterSuite(backend: Backend, addressRange: string): void {
  let server: RunningApiServer | undefined;
  let kube: KubeControlPlane | undefined;
  let admin: Client;
  let daemon: Daemon | undefined;
  let saKubeconfig: string;
  const dir = mkdtempSync(join(tmpdir(), 'clusterd-incluster-'));

  async function embedded(): Promise<void> {
    server = await startApiServer({
      port: 0,
      authorization: 'RBAC',
      tokens: [{ token: SA_TOKEN, user: SA_USER, groups: ['system:serviceaccounts', 'system:serviceaccounts:clusterd-system', 'system:authenticated'] }],
    });
    admin = new Client(server.kubeConfig());
    // What `kubectl apply -k deploy/` installs, but for the Deployment and its metrics Service: the Pod is this
    // test's child process (the embedded API server serves no apps/v1 or Services).
    const objs = loadManifests(join(repoRoot(), 'deploy')).filter((o) => o.kind !== 'Deployment' && o.kind !== 'Service');
    assert.ok(objs.some((o) => o.kind === 'ClusterRole') && objs.some((o) => o.kind === 'CustomResourceDefinition'));
    await createOrUpdate(admin, objs.filter((o) => o.kind === 'Namespace'));
    await createOrUpdate(admin, objs.filter((o) => o.kind !== 'Namespace'));
    await waitForCRDsEstablished(admin, objs.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name!));
    saKubeconfig = join(dir, 'sa.kubeconfig');
    writeFileSync(saKubeconfig, kubeconfigYaml({ clusterName: 'mgmt', server: server.url, caPem: server.caPem, userName: SA_USER, token: SA_TOKEN }), { mode: 0o600 });
  }

  /** What an operator does with a real management cluster: `kubectl apply -k deploy/`, then the SA's token. */
  async function real(): Promise<void> {
    kube = await KubeControlPlane.start();
    admin = new Client(kube.kubeConfig());
    const kubectl = (...args: string[]): string => execFileSync('kubectl', ['--kubeconfig', kube!.adminKubeconfig, ...args], { encoding: 'utf8' });
    // What issue 14 asks of deploy/: a server-side dry run against the real kube-apiserver passes first.
    assert.match(await dryRunApplyDeploy(kube.adminKubeconfig), /deployment\.apps\/clusterd (created|configured) \(server dry run\)/);
    kubectl('apply', '-k', join(repoRoot(), 'deploy'));
    kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all');
    // The Deployment's Pods never run here (no Nodes): this test's child process stands in for the Pod.
    kubectl('-n', 'clusterd-system', 'scale', 'deployment', '--all', '--replicas=0');
    const token = kubectl('-n', 'clusterd-system', 'create', 'token', 'clusterd', '--duration=2h').trim();
    saKubeconfig = kube.tokenKubeconfig(join(dir, 'sa.kubeconfig'), SA_USER, token);
    const who = new KubeConfig();
    who.loadFromFile(saKubeconfig);
    assert.equal(who.getCurrentUser()?.token, token);
  }

  before(async () => {
    await (backend === 'embedded' ? embedded() : real());
  });

  after(async () => {
    if (daemon) await ensureDead(daemon);
    await server?.close();
    await kube?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('with deploy/\'s ServiceAccount and RBAC, against an API server it does not own, the quickstart converges and is deleted', async () => {
    daemon = spawnClusterd(['run', '--kubeconfig', saKubeconfig, '--leader-elect', '--leader-election-namespace=clusterd-system',
      '--metrics-bind-address=0', '--health-probe-bind-address=0', '--data-dir', join(dir, 'data'), '--log-level=info']);

    const docs = yaml.loadAll(readFileSync(join(repoRoot(), 'examples', 'quickstart.yaml'), 'utf8')) as KubeObject[];
    for (const d of docs) {
      const spec = d.spec as { infrastructure?: { config?: Record<string, unknown> } } | undefined;
      if (d.kind === 'Cluster' && spec?.infrastructure) spec.infrastructure.config = { ...spec.infrastructure.config, addressRange };
    }
    await createOrUpdate(admin, docs);

    const CLUSTER = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster' };
    const MD = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'MachineDeployment' };
    type Status = KubeObject & { status?: { phase?: string; readyReplicas?: number; controlPlane?: { readyReplicas?: number } } };
    const why = (): string => daemon!.output().slice(-3000);
    await eventually('demo Provisioned with 3 control-plane members ready', async () => {
      const c = await admin.get<Status>(CLUSTER, { namespace: 'default', name: 'demo' });
      return c.status?.phase === 'Provisioned' && c.status.controlPlane?.readyReplicas === 3;
    }, 120_000, 500).catch((err: Error) => assert.fail(`${err.message}\n${why()}`));
    await eventually('demo-workers 3 ready', async () => (await admin.get<Status>(MD, { namespace: 'default', name: 'demo-workers' })).status?.readyReplicas === 3, 120_000, 500)
      .catch((err: Error) => assert.fail(`${err.message}\n${why()}`));
    const lease = await admin.get<KubeObject & { spec?: { holderIdentity?: string } }>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, { namespace: 'clusterd-system', name: 'clusterd-leader' });
    assert.ok(lease.spec?.holderIdentity, 'the daemon leads through its Lease in clusterd-system');

    await admin.delete({ ...CLUSTER, metadata: { name: 'demo', namespace: 'default' } });
    await eventually('demo deleted', async () => admin.get(CLUSTER, { namespace: 'default', name: 'demo' }).then(() => false, () => true), 60_000, 500)
      .catch((err: Error) => assert.fail(`${err.message}\n${why()}`));
    assert.doesNotMatch(daemon.output(), /forbidden/i, 'no request of the daemon was refused by RBAC');
  });
}
