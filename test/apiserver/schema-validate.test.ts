// Expected texts are kube-apiserver's (kube-openapi validate + apiextensions kubeOpenAPIResultToFieldErrors +
// apimachinery field.Error), so `kubectl` users see the same messages as against a real cluster.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError, statusForInvalid, validate, validateObjectMetaFields } from '../../apiserver/schema/index.js';
import type { JSONSchemaProps } from '../../apiserver/types.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['clusterName'],
      properties: {
        clusterName: { type: 'string', minLength: 1, maxLength: 5 },
        replicas: { type: 'integer', format: 'int32', minimum: 0, maximum: 10 },
        ratio: { type: 'number', minimum: 0, exclusiveMinimum: true, multipleOf: 0.5 },
        version: { type: 'string', pattern: '^v1\\.\\d+\\.\\d+$' },
        strategy: { type: 'object', properties: { type: { type: 'string', enum: ['RollingUpdate', 'OnDelete'] } } },
        port: { 'x-kubernetes-int-or-string': true },
        nullable: { type: 'string', nullable: true },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
        hosts: { type: 'array', items: { type: 'string', format: 'hostname' }, 'x-kubernetes-list-type': 'set' },
        ip: { type: 'string', format: 'ipv4' },
        created: { type: 'string', format: 'date-time' },
        uid: { type: 'string', format: 'uuid' },
        labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 3 }, maxProperties: 2 },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } },
        },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    },
  },
};

function messages(obj: unknown): string[] {
  return validate(schema, obj).map(formatFieldError);
}

function cluster(spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'c1' }, spec: { clusterName: 'a', ...spec } };
}

describe('schema validate', () => {
  it('accepts a valid object', () => {
    assert.deepEqual(messages(cluster({ replicas: 3, ratio: 1.5, version: 'v1.30.1', port: 'http', nullable: null, ip: '10.0.0.1',
      created: '2024-01-02T03:04:05Z', uid: '123e4567-e89b-12d3-a456-426614174000', hosts: ['a.example.com'],
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } } })), []);
  });

  it('minimum / maximum / exclusive / multipleOf', () => {
    assert.deepEqual(messages(cluster({ replicas: -1 })), ['spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0']);
    assert.deepEqual(messages(cluster({ replicas: 11 })), ['spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10']);
    assert.deepEqual(messages(cluster({ ratio: 0 })), ['spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0']);
    assert.deepEqual(messages(cluster({ ratio: 0.7 })), ['spec.ratio: Invalid value: 0.7: spec.ratio in body should be a multiple of 0.5']);
  });

  it('pattern, enum, required', () => {
    assert.deepEqual(messages(cluster({ version: '1.30' })), ["spec.version: Invalid value: \"1.30\": spec.version in body should match '^v1\\.\\d+\\.\\d+$'"]);
    assert.deepEqual(messages(cluster({ strategy: { type: 'Foo' } })), ['spec.strategy.type: Unsupported value: "Foo": supported values: "RollingUpdate", "OnDelete"']);
    const obj = cluster({});
    delete (obj.spec as Record<string, unknown>).clusterName;
    assert.deepEqual(messages(obj), ['spec.clusterName: Required value']);
  });

  it('types, int-or-string and nullable', () => {
    assert.deepEqual(messages(cluster({ replicas: 'string' })), ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']);
    assert.deepEqual(messages(cluster({ replicas: 1.5 })), ['spec.replicas: Invalid value: "float64": spec.replicas in body must be of type int32: "float64"']);
    assert.deepEqual(messages(cluster({ port: true })), ['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"']);
    assert.deepEqual(messages(cluster({ port: 8080 })), []);
    assert.deepEqual(messages(cluster({ clusterName: null })), ['spec.clusterName: Invalid value: "null": spec.clusterName in body must be of type string: "null"']);
    assert.deepEqual(messages(cluster({ strategy: 'x' })), ['spec.strategy: Invalid value: "string": spec.strategy in body must be of type object: "string"']);
  });

  it('string length and array size', () => {
    assert.deepEqual(messages(cluster({ clusterName: 'abcdef' })), ['spec.clusterName: Too long: may not be more than 5 bytes']);
    assert.deepEqual(messages(cluster({ clusterName: '' })), ['spec.clusterName: Invalid value: "": spec.clusterName in body should be at least 1 chars long']);
    assert.deepEqual(messages(cluster({ tags: [] })), ['spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items']);
    assert.deepEqual(messages(cluster({ tags: ['a', 'b', 'c'] })), ['spec.tags: Too many: 3: must have at most 2 items']);
    assert.deepEqual(messages(cluster({ tags: [1] })), ['spec.tags[0]: Invalid value: "integer": spec.tags[0] in body must be of type string: "integer"']);
  });

  it('formats', () => {
    assert.deepEqual(messages(cluster({ ip: '10.0.0.256' })), ['spec.ip: Invalid value: "10.0.0.256": spec.ip in body must be of type ipv4: "10.0.0.256"']);
    assert.deepEqual(messages(cluster({ created: 'yesterday' })), ['spec.created: Invalid value: "yesterday": spec.created in body must be of type date-time: "yesterday"']);
    assert.deepEqual(messages(cluster({ uid: 'nope' })), ['spec.uid: Invalid value: "nope": spec.uid in body must be of type uuid: "nope"']);
    assert.deepEqual(messages(cluster({ hosts: ['-bad-'] })), ['spec.hosts[0]: Invalid value: "-bad-": spec.hosts[0] in body must be of type hostname: "-bad-"']);
  });

  it('additionalProperties and maxProperties', () => {
    assert.deepEqual(messages(cluster({ labels: { a: 'abcd' } })), ['spec.labels.a: Too long: may not be more than 3 bytes']);
    assert.deepEqual(messages(cluster({ labels: { a: 'x', b: 'y', c: 'z' } })), ['spec.labels: Too many: 3: must have at most 2 items']);
  });

  it('list-type set and map uniqueness', () => {
    assert.deepEqual(messages(cluster({ hosts: ['a', 'b', 'a'] })), ['spec.hosts[2]: Duplicate value: "a"']);
    assert.deepEqual(messages(cluster({ ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] })),
      ['spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}']);
  });

  it('embedded resources need apiVersion and kind', () => {
    assert.deepEqual(messages(cluster({ template: { metadata: { labels: { 'bad key!': 'x' } } } })), [
      'spec.template.apiVersion: Required value: must not be empty',
      'spec.template.kind: Required value: must not be empty',
      "spec.template.metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
  });

  it('root metadata labels', () => {
    assert.deepEqual(validateObjectMetaFields({ labels: { app: 'no spaces' } }).map(formatFieldError), ["metadata.labels: Invalid value: \"no spaces\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]);
  });

  it('builds the 422 Status body', () => {
    const errs = validate(schema, cluster({ replicas: -1 }));
    const st = statusForInvalid('Cluster', 'clusterd.dev', 'c1', errs);
    assert.equal(st.message, 'Cluster.clusterd.dev "c1" is invalid: spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0');
    assert.equal(st.reason, 'Invalid');
    assert.equal(st.code, 422);
    assert.deepEqual(st.details, { name: 'c1', group: 'clusterd.dev', kind: 'Cluster', causes: [{
      reason: 'FieldValueInvalid', message: 'Invalid value: -1: spec.replicas in body should be greater than or equal to 0', field: 'spec.replicas' }] });
    const two = statusForInvalid('Cluster', 'clusterd.dev', 'c1', validate(schema, cluster({ replicas: -1, version: 'x' })));
    assert.match(String(two.message), /^Cluster\.clusterd\.dev "c1" is invalid: \[spec\.replicas: .*, spec\.version: .*\]$/);
    assert.equal(statusForInvalid('ConfigMap', '', 'x', errs).message?.toString().startsWith('ConfigMap "x" is invalid'), true);
  });
});
