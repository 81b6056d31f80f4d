import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateJsonPath, humanDuration, toTable } from '../../apiserver/table/index.js';
import type { ResourceInfo } from '../../apiserver/types.js';

const info = (over: Partial<ResourceInfo>): ResourceInfo => ({
  group: 'clusterd.dev', version: 'v1alpha1', kind: 'Cluster', listKind: 'ClusterList', plural: 'clusters', singular: 'cluster',
  namespaced: true, shortNames: [], categories: [], verbs: [], subresources: {}, custom: true, ...over,
});
const NOW = Date.parse('2024-01-01T01:00:00Z');
type Table = { columnDefinitions: { name: string; type: string; priority: number }[]; rows: { cells: unknown[]; object?: Record<string, unknown> }[] };

describe('jsonpath', () => {
  const obj = { status: { phase: 'Ready', conditions: [{ type: 'Ready', status: 'True' }, { type: 'Other', status: 'False' }] }, spec: { replicas: 3, list: [1, 2] } };
  it('evaluates fields, indices, wildcards and filters', () => {
    assert.deepEqual(evaluateJsonPath('.status.phase', obj), ['Ready']);
    assert.deepEqual(evaluateJsonPath('{.spec.replicas}', obj), [3]);
    assert.deepEqual(evaluateJsonPath('.status.conditions[?(@.type=="Ready")].status', obj), ['True']);
    assert.deepEqual(evaluateJsonPath(".status.conditions[?(@.status!='True')].type", obj), ['Other']);
    assert.deepEqual(evaluateJsonPath('.spec.list[*]', obj), [1, 2]);
    assert.deepEqual(evaluateJsonPath('.spec.list[-1]', obj), [2]);
    assert.deepEqual(evaluateJsonPath('..type', obj), ['Ready', 'Other']);
    assert.deepEqual(evaluateJsonPath('.missing.deeper', obj), []);
  });
  it('renders ages like HumanDuration', () => {
    assert.equal(humanDuration(59_000), '59s');
    assert.equal(humanDuration(125_000), '2m5s');
    assert.equal(humanDuration(3_600_000 * 5 + 60_000 * 7), '5h7m');
    assert.equal(humanDuration(86_400_000 * 3), '3d');
  });
});

describe('toTable', () => {
  const cluster = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'c1', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { replicas: 3, version: 'v1.30.1' }, status: { phase: 'Provisioned', conditions: [{ type: 'Ready', status: 'True' }] } };
  it('evaluates additionalPrinterColumns and returns PartialObjectMetadata rows', () => {
    const t = toTable(info({ printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Missing', type: 'string', jsonPath: '.status.nope', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ] }), [cluster], { resourceVersion: '5' }, { now: NOW }) as unknown as Table & { metadata: unknown; kind: string };
    assert.equal(t.kind, 'Table');
    assert.deepEqual(t.metadata, { resourceVersion: '5' });
    assert.deepEqual(t.columnDefinitions.map((c) => [c.name, c.type, c.priority]), [['Name', 'string', 0], ['Phase', 'string', 0], ['Replicas', 'integer', 0], ['Ready', 'string', 0], ['Missing', 'string', 1], ['Age', 'date', 0]]);
    assert.deepEqual(t.rows[0].cells, ['c1', 'Provisioned', 3, 'True', null, '60m']);
    assert.deepEqual(t.rows[0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cluster.metadata });
    const full = toTable(info({}), [cluster], {}, { includeObject: 'Object' }) as unknown as Table;
    assert.deepEqual(full.columnDefinitions.map((c) => c.name), ['Name', 'Age']);
    assert.equal(full.rows[0].object, cluster);
    assert.equal((toTable(info({}), [cluster], {}, { includeObject: 'None' }) as unknown as Table).rows[0].object, undefined);
  });
  it('prints built-in kinds with kube-apiserver columns', () => {
    const node = { metadata: { name: 'n1', creationTimestamp: '2024-01-01T00:00:00Z', labels: { 'node-role.kubernetes.io/control-plane': '' } },
      spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.30.1' }, addresses: [{ type: 'InternalIP', address: '10.0.0.5' }] } };
    const t = toTable(info({ group: '', kind: 'Node', custom: false, namespaced: false }), [node], {}, { now: NOW }) as unknown as Table;
    assert.deepEqual(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name), ['Name', 'Status', 'Roles', 'Age', 'Version']);
    assert.deepEqual(t.rows[0].cells.slice(0, 6), ['n1', 'Ready,SchedulingDisabled', 'control-plane', '60m', 'v1.30.1', '10.0.0.5']);
    const secret = toTable(info({ group: '', kind: 'Secret', custom: false }), [{ metadata: { name: 's', creationTimestamp: '2024-01-01T00:59:00Z' }, type: 'kubernetes.io/tls', data: { a: 'x', b: 'y' } }], {}, { now: NOW }) as unknown as Table;
    assert.deepEqual(secret.rows[0].cells, ['s', 'kubernetes.io/tls', 2, '60s']);
    const csr = toTable(info({ group: 'certificates.k8s.io', kind: 'CertificateSigningRequest', custom: false }), [{ metadata: { name: 'csr' },
      spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', username: 'system:bootstrap:abc', expirationSeconds: 3600 },
      status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' } }], {}, { now: NOW }) as unknown as Table;
    assert.deepEqual(csr.rows[0].cells, ['csr', '<unknown>', 'kubernetes.io/kube-apiserver-client-kubelet', 'system:bootstrap:abc', '1h', 'Approved,Issued']);
    const lease = toTable(info({ group: 'coordination.k8s.io', kind: 'Lease', custom: false }), [{ metadata: { name: 'l' }, spec: { holderIdentity: 'me' } }], {}) as unknown as Table;
    assert.deepEqual(lease.columnDefinitions.map((c) => c.name), ['Name', 'Holder', 'Age']);
    assert.equal(lease.rows[0].cells[1], 'me');
    const ns = toTable(info({ group: '', kind: 'Namespace', custom: false }), [{ metadata: { name: 'default' }, status: { phase: 'Active' } }], {}) as unknown as Table;
    assert.deepEqual(ns.rows[0].cells.slice(0, 2), ['default', 'Active']);
    const cm = toTable(info({ group: '', kind: 'ConfigMap', custom: false }), [{ metadata: { name: 'c' }, data: { a: '1' }, binaryData: { b: 'AA==' } }], {}) as unknown as Table;
    assert.equal(cm.rows[0].cells[1], 2);
  });
});
