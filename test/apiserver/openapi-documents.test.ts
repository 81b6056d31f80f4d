import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpenApiV2, buildOpenApiV3Discovery, buildOpenApiV3GroupVersion } from '../../apiserver/openapi/index.js';
import type { ResourceInfo } from '../../apiserver/types.js';

const cluster: ResourceInfo = {
  group: 'clusterd.dev', version: 'v1alpha1', kind: 'Cluster', listKind: 'ClusterList', plural: 'clusters', singular: 'cluster',
  namespaced: true, shortNames: ['cl'], categories: [], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
  subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } }, custom: true,
  schema: { type: 'object', description: 'Cluster is a cluster.', properties: {
    spec: { type: 'object', description: 'Desired state.', properties: { controlPlane: { type: 'object', description: 'The control plane.', properties: { replicas: { type: 'integer', nullable: true } } },
      port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } } },
  } },
};
const configMap: ResourceInfo = { group: '', version: 'v1', kind: 'ConfigMap', listKind: 'ConfigMapList', plural: 'configmaps', singular: 'configmap',
  namespaced: true, shortNames: ['cm'], categories: [], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], subresources: {}, custom: false };

type V3 = { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; 'x-kubernetes-group-version-kind'?: unknown; requestBody?: { content: Record<string, unknown> } }>>;
  components: { schemas: Record<string, Record<string, unknown>> } };

describe('openapi v3', () => {
  it('lists one document per group-version with a content hash', () => {
    const d = buildOpenApiV3Discovery([cluster, configMap]) as { paths: Record<string, { serverRelativeURL: string }> };
    assert.deepEqual(Object.keys(d.paths).sort(), ['api/v1', 'apis/clusterd.dev/v1alpha1']);
    assert.match(d.paths['apis/clusterd.dev/v1alpha1'].serverRelativeURL, /^\/openapi\/v3\/apis\/clusterd\.dev\/v1alpha1\?hash=[0-9A-F]+$/);
    const changed = { ...cluster, schema: { ...cluster.schema, description: 'other' } };
    assert.notEqual((buildOpenApiV3Discovery([changed]) as typeof d).paths['apis/clusterd.dev/v1alpha1'].serverRelativeURL, d.paths['apis/clusterd.dev/v1alpha1'].serverRelativeURL);
    assert.equal(buildOpenApiV3GroupVersion([cluster], 'apis/nope/v1'), undefined);
  });

  it('carries the CRD schema with GVK, ObjectMeta reference and every PATCH with fieldValidation', () => {
    const doc = buildOpenApiV3GroupVersion([cluster, configMap], 'apis/clusterd.dev/v1alpha1') as unknown as V3;
    const def = doc.components.schemas['dev.clusterd.v1alpha1.Cluster'];
    assert.deepEqual(def['x-kubernetes-group-version-kind'], [{ group: 'clusterd.dev', kind: 'Cluster', version: 'v1alpha1' }]);
    const props = def.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(props.metadata.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
    assert.equal(((props.spec.properties as Record<string, Record<string, unknown>>).controlPlane).description, 'The control plane.');
    assert.ok(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
    assert.ok(doc.components.schemas['dev.clusterd.v1alpha1.ClusterList']);
    const patches = Object.entries(doc.paths).filter(([, p]) => p.patch);
    assert.deepEqual(patches.map(([k]) => k).sort(), [
      '/apis/clusterd.dev/v1alpha1/namespaces/{namespace}/clusters/{name}',
      '/apis/clusterd.dev/v1alpha1/namespaces/{namespace}/clusters/{name}/scale',
      '/apis/clusterd.dev/v1alpha1/namespaces/{namespace}/clusters/{name}/status',
    ]);
    for (const [, p] of patches) {
      assert.ok(p.patch.parameters?.some((q) => q.name === 'fieldValidation' && q.in === 'query'));
      assert.ok(p.patch.parameters?.some((q) => q.name === 'dryRun'));
      assert.equal(p.patch.requestBody?.content['application/strategic-merge-patch+json'], undefined);
    }
    const item = doc.paths['/apis/clusterd.dev/v1alpha1/namespaces/{namespace}/clusters/{name}'];
    assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: 'clusterd.dev', kind: 'Cluster', version: 'v1alpha1' });
    assert.ok(doc.paths['/apis/clusterd.dev/v1alpha1/namespaces/{namespace}/clusters'].post.parameters?.some((q) => q.name === 'fieldValidation'));
  });

  it('gives built-in kinds a loose schema and strategic merge on PATCH', () => {
    const doc = buildOpenApiV3GroupVersion([configMap], 'api/v1') as unknown as V3;
    const def = doc.components.schemas['io.k8s.api.core.v1.ConfigMap'];
    assert.equal(def['x-kubernetes-preserve-unknown-fields'], true);
    const item = doc.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'];
    assert.ok(item.patch.requestBody?.content['application/strategic-merge-patch+json']);
    assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: '', kind: 'ConfigMap', version: 'v1' });
  });
});

describe('openapi v2', () => {
  it('has definitions with GVK and body parameters, and drops what v2 cannot express', () => {
    const doc = buildOpenApiV2([cluster, configMap]) as { swagger: string; definitions: Record<string, Record<string, unknown>>; paths: Record<string, Record<string, { parameters: { name: string; in: string }[] }>> };
    assert.equal(doc.swagger, '2.0');
    assert.deepEqual(doc.definitions['io.k8s.api.core.v1.ConfigMap']['x-kubernetes-group-version-kind'], [{ group: '', kind: 'ConfigMap', version: 'v1' }]);
    const spec = (doc.definitions['dev.clusterd.v1alpha1.Cluster'].properties as Record<string, { properties: Record<string, Record<string, unknown>> }>).spec;
    assert.equal(spec.properties.port.anyOf, undefined);
    assert.equal(spec.properties.port['x-kubernetes-int-or-string'], true);
    const patch = doc.paths['/apis/clusterd.dev/v1alpha1/namespaces/{namespace}/clusters/{name}'].patch;
    assert.deepEqual(patch.parameters.map((p) => `${p.in}:${p.name}`), ['body:body', 'query:dryRun', 'query:fieldManager', 'query:fieldValidation', 'query:force']);
  });
});
