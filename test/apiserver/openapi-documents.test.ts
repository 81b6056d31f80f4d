import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { buildOpenApiV2, buildOpenApiV3Discovery, buildOpenApiV3GroupVersion } from '../../apiserver/openapi/index.js';
import { encodeOpenApiV2 } from '../../apiserver/openapi/protobuf.js';
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

/** A protobuf wire-format reader, independent of the encoder: field number → values (bytes, varint or double). */
type Field = Buffer | bigint | number;
function fields(b: Buffer): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = b[i++]!;
      v |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return v;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    let value: Field;
    if (wire === 0) value = varint();
    else if (wire === 1) { value = b.readDoubleLE(i); i += 8; }
    else if (wire === 2) { const n = Number(varint()); value = b.subarray(i, i + n); i += n; }
    else throw new Error(`unexpected wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}
const str = (f: Map<number, Field[]>, n: number): string | undefined => (f.get(n)?.[0] as Buffer | undefined)?.toString('utf8');
const msg = (f: Map<number, Field[]>, n: number): Map<number, Field[]> => fields((f.get(n)?.[0] as Buffer | undefined) ?? Buffer.alloc(0));
/** The entries of a repeated Named* message field as name → value message. */
const named = (f: Map<number, Field[]>, n: number): Map<string, Map<number, Field[]>> =>
  new Map((f.get(n) ?? []).map((e) => { const kv = fields(e as Buffer); return [str(kv, 1)!, msg(kv, 2)]; }));

describe('openapi v2 protobuf (gnostic Document, for kubectl before 1.23)', () => {
  it('encodes definitions with types, properties, required, numbers and x- extensions as YAML', () => {
    const withLimits: ResourceInfo = { ...cluster, schema: { ...cluster.schema!, required: ['spec'], properties: { ...cluster.schema!.properties,
      size: { type: 'integer', minimum: -1, maximum: 7.5, enum: [1, 3] }, tags: { type: 'array', maxItems: 300, items: { type: 'string' } },
      labels: { type: 'object', additionalProperties: { type: 'string' } } } } };
    const doc = fields(encodeOpenApiV2(buildOpenApiV2([withLimits, configMap])));
    assert.equal(str(doc, 1), '2.0');
    assert.equal(str(msg(doc, 2), 1), 'Kubernetes');
    const defs = named(msg(doc, 9), 1);
    const def = defs.get('dev.clusterd.v1alpha1.Cluster')!;
    assert.ok(def, `definitions: ${[...defs.keys()].join(', ')}`);
    assert.equal(str(def, 4), 'Cluster is a cluster.');
    assert.equal(str(msg(def, 22), 1), 'object');
    assert.deepEqual((def.get(19) ?? []).map((b) => b.toString()), ['spec']);
    const ext = named(def, 31);
    assert.deepEqual(yaml.load(str(ext.get('x-kubernetes-group-version-kind')!, 2)!), [{ group: 'clusterd.dev', kind: 'Cluster', version: 'v1alpha1' }]);
    const props = named(msg(def, 25), 1);
    assert.equal(str(props.get('metadata')!, 1), '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    const size = props.get('size')!;
    assert.equal(size.get(9)?.[0], -1);
    assert.equal(size.get(7)?.[0], 7.5);
    assert.deepEqual((size.get(20) ?? []).map((e) => yaml.load(str(fields(e as Buffer), 2)!)), [1, 3]);
    const tags = props.get('tags')!;
    assert.equal(tags.get(14)?.[0], 300n);
    assert.equal(str(msg(msg(msg(tags, 23), 1), 22), 1), 'string');
    const labels = props.get('labels')!;
    assert.equal(str(msg(msg(msg(labels, 21), 1), 22), 1), 'string');
    const spec = named(msg(props.get('spec')!, 25), 1);
    assert.equal(str(spec.get('controlPlane')!, 4), 'The control plane.');
    const port = named(spec.get('port')!, 31);
    assert.equal(yaml.load(str(port.get('x-kubernetes-int-or-string')!, 2)!), true);
    assert.ok(defs.get('io.k8s.api.core.v1.ConfigMap'));
  });

  it('encodes paths with the PATCH operation\'s GVK and query parameters (kubectl\'s dry-run support check)', () => {
    const doc = fields(encodeOpenApiV2(buildOpenApiV2([cluster])));
    const paths = named(msg(doc, 8), 2);
    const patch = msg(paths.get('/apis/clusterd.dev/v1alpha1/namespaces/{namespace}/clusters/{name}')!, 8);
    assert.equal(str(patch, 5), 'patchClusterdDevV1alpha1NamespacedCluster');
    assert.deepEqual(yaml.load(str(named(patch, 13).get('x-kubernetes-group-version-kind')!, 2)!), { group: 'clusterd.dev', kind: 'Cluster', version: 'v1alpha1' });
    const params = (patch.get(8) ?? []).map((b) => msg(fields(b as Buffer), 1));
    const body = msg(params[0]!, 1);
    assert.equal(str(body, 2), 'body');
    assert.equal(str(msg(body, 5), 1), '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch');
    const query = params.slice(1).map((p) => msg(msg(p, 2), 3)).map((q) => `${str(q, 2)}:${str(q, 4)}:${str(q, 6)}`);
    assert.deepEqual(query, ['query:dryRun:string', 'query:fieldManager:string', 'query:fieldValidation:string', 'query:force:boolean']);
  });
});
