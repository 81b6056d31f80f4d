import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, formatFieldError, prune, validateStructural } from '../../apiserver/schema/index.js';
import type { JSONSchemaProps } from '../../apiserver/types.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer', default: 1 },
        strategy: { type: 'object', default: {}, properties: { type: { type: 'string', default: 'RollingUpdate' } } },
        containers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, pull: { type: 'string', default: 'IfNotPresent' } } } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
        byName: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string', default: 'x' } } } },
        note: { type: 'string' },
        embedded: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};

describe('schema defaults', () => {
  it('applies defaults for missing fields when the parent exists, recursively into defaulted values', () => {
    const obj = { spec: { containers: [{ name: 'a' }, { name: 'b', pull: 'Always' }], byName: { k: {} } } };
    applyDefaults(schema, obj);
    assert.deepEqual(obj, { spec: { replicas: 1, strategy: { type: 'RollingUpdate' }, containers: [{ name: 'a', pull: 'IfNotPresent' }, { name: 'b', pull: 'Always' }], byName: { k: { v: 'x' } } } });
    const noSpec: Record<string, unknown> = { metadata: {} };
    applyDefaults(schema, noSpec);
    assert.deepEqual(noSpec, { metadata: {} });
  });

  it('replaces non-nullable nulls by their default and drops the others', () => {
    const obj = { spec: { replicas: null, note: null } };
    applyDefaults(schema, obj);
    assert.deepEqual(obj.spec, { replicas: 1, strategy: { type: 'RollingUpdate' } });
  });

  it('does not share default values between objects', () => {
    const a = { spec: {} as Record<string, Record<string, unknown>> };
    const b = { spec: {} as Record<string, Record<string, unknown>> };
    applyDefaults(schema, a);
    applyDefaults(schema, b);
    a.spec.strategy.type = 'changed';
    assert.equal(b.spec.strategy.type, 'RollingUpdate');
  });
});

describe('schema prune', () => {
  it('drops unknown fields and reports their paths', () => {
    const obj = {
      apiVersion: 'x/v1', kind: 'K', metadata: { name: 'n', bogus: 1, labels: { a: 'b' } },
      spec: { replicas: 1, unknown: true, containers: [{ name: 'a', junk: 1 }], extra: { anything: { deep: 1 }, known: { a: 'x', b: 'y' } },
        byName: { k: { v: 'x', w: 'y' } }, embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', zz: 1 }, spec: {}, other: 1 } },
      status: { phase: 'Ready', cond: [] },
      top: 1,
    };
    const pruned = prune(schema, obj);
    assert.deepEqual(pruned.sort(), ['metadata.bogus', 'spec.byName.k.w', 'spec.containers[0].junk', 'spec.embedded.metadata.zz', 'spec.embedded.other',
      'spec.extra.known.b', 'spec.unknown', 'status.cond', 'top'].sort());
    assert.deepEqual(obj, {
      apiVersion: 'x/v1', kind: 'K', metadata: { name: 'n', labels: { a: 'b' } },
      spec: { replicas: 1, containers: [{ name: 'a' }], extra: { anything: { deep: 1 }, known: { a: 'x' } }, byName: { k: { v: 'x' } },
        embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} } },
      status: { phase: 'Ready' },
    });
  });
});

describe('schema structural', () => {
  const prefix = 'spec.versions[0].schema.openAPIV3Schema';
  it('accepts a structural schema', () => {
    assert.deepEqual(validateStructural(schema, prefix), []);
    assert.deepEqual(validateStructural({ type: 'object', properties: { p: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } } }, prefix), []);
  });
  it('names missing types and other violations like kube-apiserver', () => {
    const bad = { type: 'object', properties: { spec: { properties: { a: { type: 'array' } } }, metadata: { type: 'object', properties: { labels: { type: 'object' } } } } } as JSONSchemaProps;
    assert.deepEqual(validateStructural(bad, prefix).map(formatFieldError), [
      'spec.versions[0].schema.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[a].items: Required value: must be specified',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    ]);
    assert.deepEqual(validateStructural({ type: 'string' }, prefix).map(formatFieldError),
      ['spec.versions[0].schema.openAPIV3Schema.type: Invalid value: "string": must be object at the root']);
    assert.deepEqual(validateStructural({ type: 'object', properties: { a: { type: 'string', anyOf: [{ type: 'string' }] } } }, prefix).map(formatFieldError),
      ['spec.versions[0].schema.openAPIV3Schema.properties[a].anyOf[0].type: Forbidden: must be empty to be structural']);
  });
});
