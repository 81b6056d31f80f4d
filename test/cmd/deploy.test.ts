/**
 * deploy/ renders with kustomize into what the issue asks of a production install, and the API server accepts it
 * (`kubectl apply --dry-run=server -k deploy/`). The same dry run against a real kube-apiserver is
 * dryRunApplyDeploy(kubeconfig) in test/support/deploy-manifests.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { repoRoot } from '../../lib/paths.js';
import type { KubeObject } from '../../runtime/types.js';
import { startProbeServer } from '../../runtime/server.js';
import { dryRunApplyDeploy, renderDeploy } from '../support/deploy-manifests.js';

type Obj = KubeObject & { spec?: Record<string, unknown>; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };

let server: RunningApiServer;
const dir = mkdtempSync(join(tmpdir(), 'clusterd-deploy-'));
const kubeconfig = join(dir, 'kubeconfig');

before(async () => {
  server = await startApiServer({ port: 0 });
  writeFileSync(kubeconfig, server.adminKubeconfig(), { mode: 0o600 });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('kubectl kustomize deploy/ renders the namespace, CRDs, identity, least-privilege RBAC, Deployment, Service and PDB', async () => {
  const objs = (await renderDeploy()) as Obj[];
  const kinds = objs.map((o) => o.kind).sort();
  for (const k of ['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment', 'Service', 'PodDisruptionBudget']) {
    assert.ok(kinds.includes(k), `deploy/ renders no ${k}: ${kinds.join(', ')}`);
  }
  assert.equal(objs.filter((o) => o.kind === 'CustomResourceDefinition').length, 4);
  for (const o of objs.filter((x) => x.kind !== 'Namespace' && x.kind !== 'CustomResourceDefinition' && !x.kind?.startsWith('Cluster'))) {
    assert.equal(o.metadata.namespace, 'clusterd-system', `${o.kind}/${o.metadata.name} is not in clusterd-system`);
  }
  // The CRDs in deploy/ are the generated ones (crds/), byte for byte in content.
  const generated = readFileSync(join(repoRoot(), 'crds', 'clusterd.dev_clusters.yaml'), 'utf8');
  const fromDeploy = objs.find((o) => o.kind === 'CustomResourceDefinition' && o.metadata.name === 'clusters.clusterd.dev');
  assert.deepEqual(fromDeploy, yaml.load(generated));

  // The ClusterRole never grants everything.
  const role = objs.find((o) => o.kind === 'ClusterRole')!;
  for (const r of role.rules ?? []) {
    assert.ok(!r.verbs.includes('*') && !r.resources.includes('*') && !r.apiGroups.includes('*'), `wildcard rule in the ClusterRole: ${JSON.stringify(r)}`);
  }
  const leader = objs.find((o) => o.kind === 'Role')!;
  assert.deepEqual(leader.rules?.map((r) => r.resources), [['leases']]);
});

test('the Deployment: 2 replicas, leader election, probes, resources, non-root, read-only root, no escalation, seccomp', async () => {
  const objs = (await renderDeploy()) as Obj[];
  const d = objs.find((o) => o.kind === 'Deployment') as Obj & { spec: { replicas: number; template: { spec: PodSpec } } };
  interface Container { args: string[]; livenessProbe?: { httpGet: { path: string } }; readinessProbe?: { httpGet: { path: string } }; resources?: { requests?: Record<string, string>; limits?: Record<string, string> }; securityContext: Record<string, unknown> }
  interface PodSpec { serviceAccountName: string; securityContext: Record<string, unknown>; containers: Container[] }
  assert.equal(d.spec.replicas, 2);
  const pod = d.spec.template.spec;
  assert.equal(pod.serviceAccountName, 'clusterd');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  const c = pod.containers[0]!;
  assert.ok(c.args.includes('--leader-elect'));
  assert.equal(c.livenessProbe?.httpGet.path, '/healthz');
  // A standby replica is ready without holding the Lease, or a rolling update of 2 replicas never completes.
  assert.equal(c.readinessProbe?.httpGet.path, '/readyz?exclude=leader-election');
  assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.runAsNonRoot, true);
  assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
  const svc = objs.find((o) => o.kind === 'Service') as Obj & { spec: { ports: { name: string; port: number }[] } };
  assert.deepEqual(svc.spec.ports.map((p) => p.name), ['metrics']);
});

test('kubectl apply --dry-run=server -k deploy/ succeeds against the embedded API server and creates nothing', async () => {
  const out = await dryRunApplyDeploy(kubeconfig);
  assert.match(out, /deployment\.apps\/clusterd created \(server dry run\)/);
  assert.match(out, /clusterrole\.rbac\.authorization\.k8s\.io\/clusterd-manager created \(server dry run\)/);
  assert.match(out, /customresourcedefinition\.apiextensions\.k8s\.io\/clusters\.clusterd\.dev created \(server dry run\)/);
  // A dry run writes nothing: the CRD and the Deployment are still absent (an in-process server: async kubectl only).
  const { stdout } = await promisify(execFile)('kubectl', ['get', 'crd,deployments', '-A', '-o', 'name'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
  assert.doesNotMatch(stdout, /clusterd/);
});

test('the Deployment\'s readiness path: a standby (not the leader) is ready with ?exclude=leader-election, not without', async () => {
  const readyz = new Map<string, () => string | undefined>([['informers', () => undefined], ['leader-election', () => 'not the leader']]);
  const { app, address } = await startProbeServer({ host: '127.0.0.1', port: 0 }, new Map(), readyz);
  try {
    const get = async (path: string): Promise<[number, string]> => {
      const r = await fetch(`http://127.0.0.1:${address.port}${path}`);
      return [r.status, await r.text()];
    };
    assert.deepEqual(await get('/readyz'), [500, '[+]informers ok\n[-]leader-election failed: not the leader\ncheck failed\n']);
    assert.deepEqual(await get('/readyz?exclude=leader-election'), [200, 'ok']);
    readyz.set('informers', () => 'caches not synced');
    assert.equal((await get('/readyz?exclude=leader-election'))[0], 500, 'excluding one check keeps the others');
  } finally {
    await app.close();
  }
});

test('the image: multi-stage, production dependencies only, runs as a non-root user', () => {
  const dockerfile = readFileSync(join(repoRoot(), 'deploy', 'Dockerfile'), 'utf8');
  assert.equal(dockerfile.match(/^FROM /gm)?.length, 2, 'a build stage and a runtime stage');
  assert.match(dockerfile, /npm prune --omit=dev/);
  assert.match(dockerfile, /COPY --from=build \/app\/node_modules node_modules/);
  const user = /^USER (\d+)/m.exec(dockerfile);
  assert.ok(user && Number(user[1]) > 0, 'USER is a non-root uid');
  // The Deployment's runAsUser is the image's user.
  assert.match(readFileSync(join(repoRoot(), 'deploy', 'deployment.yaml'), 'utf8'), new RegExp(`runAsUser: ${user![1]}`));
});
