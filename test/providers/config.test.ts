import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError, validateAgainstSchema } from '../../providers/config.js';
import type { JSONSchemaProps } from '../../providers/types.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    flavor: { type: 'string', enum: ['small', 'medium', 'large'], default: 'small' },
    failureRate: { type: 'number', minimum: 0, maximum: 1 },
    addressRange: { type: 'string', pattern: '^127\\.' },
    count: { type: 'integer' },
  },
};

test('an unsupported enum value reads like kube-apiserver', () => {
  const { errors } = validateAgainstSchema(schema, { flavor: 'huge' }, 'infrastructure.config');
  assert.deepEqual(errors.map(formatFieldError), ['infrastructure.config.flavor: Unsupported value: "huge": supported values: "small", "medium", "large"']);
});

test('defaults are filled on a copy; the input is not touched', () => {
  const input = { failureRate: 0.5 };
  const { config, errors } = validateAgainstSchema<{ flavor: string }>(schema, input, 'spec.infrastructure.config');
  assert.deepEqual(errors, []);
  assert.equal(config.flavor, 'small');
  assert.deepEqual(input, { failureRate: 0.5 });
});

test('range, type, pattern and unknown fields are each named, in kube-apiserver\'s words', () => {
  const { errors } = validateAgainstSchema(schema, { failureRate: 2, count: 1.5, addressRange: '10.0.0.0/8', colour: 'red' }, 'spec.infrastructure.config');
  assert.deepEqual(errors.map(formatFieldError).sort(), [
    "spec.infrastructure.config.addressRange: Invalid value: \"10.0.0.0/8\": spec.infrastructure.config.addressRange in body should match '^127\\.'",
    'spec.infrastructure.config.colour: Forbidden: field not declared in schema',
    'spec.infrastructure.config.count: Invalid value: "number": spec.infrastructure.config.count in body must be of type integer: "number"',
    'spec.infrastructure.config.failureRate: Invalid value: 2: spec.infrastructure.config.failureRate in body should be less than or equal to 1',
  ]);
});

test('a config that is not an object is an error, not a crash', () => {
  const { errors } = validateAgainstSchema(schema, 'small', 'spec.infrastructure.config');
  assert.equal(errors.length, 1);
  assert.match(formatFieldError(errors[0]!), /^spec\.infrastructure\.config: Invalid value: "string": spec\.infrastructure\.config in body must be of type object: "string"$/);
});
