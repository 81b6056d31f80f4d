import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { repoRoot } from '../../lib/paths.js';
import { renderCRDFiles, renderDeployCRDs } from '../../api/render.js';
import { KINDS } from '../../api/v1alpha1/index.js';

const crdDir = join(repoRoot(), 'crds');

test('crds/ is exactly what api/ generates (run `make generate` after changing api/)', () => {
  const generated = renderCRDFiles();
  const onDisk = readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort();
  assert.deepEqual(onDisk, [...generated.keys()].sort());
  for (const [file, text] of generated) {
    assert.equal(readFileSync(join(crdDir, file), 'utf8'), text, `${file} drifted from api/`);
  }
  assert.equal(readFileSync(join(repoRoot(), 'deploy', 'crds.yaml'), 'utf8'), renderDeployCRDs(), 'deploy/crds.yaml drifted from api/');
});

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean };

/** Structural schemas: every node has a type, except int-or-string and preserve-unknown-fields nodes. */
function structuralProblems(s: Schema, path: string): string[] {
  const problems: string[] = [];
  if (!s.type && !s['x-kubernetes-int-or-string'] && !s['x-kubernetes-preserve-unknown-fields']) problems.push(`${path}: no type`);
  if (s.type === 'array' && !s.items) problems.push(`${path}: array without items`);
  for (const [k, v] of Object.entries(s.properties ?? {})) problems.push(...structuralProblems(v, `${path}.${k}`));
  if (s.items) problems.push(...structuralProblems(s.items, `${path}[*]`));
  if (typeof s.additionalProperties === 'object') problems.push(...structuralProblems(s.additionalProperties, `${path}[key]`));
  if (s.patternProperties) problems.push(`${path}: patternProperties is not allowed in structural schemas`);
  for (const key of ['anyOf', 'allOf', 'oneOf']) if (s[key] && !s['x-kubernetes-int-or-string']) problems.push(`${path}: ${key}`);
  return problems;
}

test('every CRD is a structural apiextensions.k8s.io/v1 schema with status, scale and printer columns', () => {
  for (const def of KINDS) {
    const crd = yaml.load(readFileSync(join(crdDir, `clusterd.dev_${def.plural}.yaml`), 'utf8')) as {
      apiVersion: string; spec: { scope: string; names: { shortNames: string[]; categories: string[] }; versions: { name: string; schema: { openAPIV3Schema: Schema }; subresources: Record<string, unknown>; additionalPrinterColumns: unknown[] }[] };
    };
    assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual(crd.spec.names.categories, ['clusterd']);
    assert.deepEqual(crd.spec.names.shortNames, def.shortNames);
    const v = crd.spec.versions[0]!;
    assert.equal(v.name, 'v1alpha1');
    assert.deepEqual(structuralProblems(v.schema.openAPIV3Schema, ''), []);
    assert.ok('status' in v.subresources);
    assert.equal('scale' in v.subresources, def.scale);
    assert.ok(v.additionalPrinterColumns.length >= 5);
  }
});

test('schemas encode the rules the issue names: v1.MINOR.PATCH versions, odd control planes, replicas ≥ 0, strategy types', () => {
  const cluster = KINDS.find((k) => k.kind === 'Cluster')!;
  const cp = (cluster.spec as unknown as Schema).properties!.controlPlane!;
  assert.deepEqual(cp.properties!.replicas!.enum, [1, 3, 5, 7]);
  const pattern = new RegExp(cp.properties!.version!.pattern as string);
  for (const good of ['v1.34.0', 'v1.35.4', 'v1.36.3', 'v1.37.2', 'v1.37.10']) assert.ok(pattern.test(good), good);
  // malformed, and well-formed but of an unsupported minor (1.33 and older are past their end of life; 1.38 is not out)
  for (const bad of ['1.37', 'v1.37', 'v1.37.2-rc.1', 'v2.0.0', 'v1.037.1', 'v1.33.9', 'v1.30.2', 'v1.38.0', 'v1.3.0', 'v1.340.0']) assert.ok(!pattern.test(bad), bad);
  const md = KINDS.find((k) => k.kind === 'MachineDeployment')!.spec as unknown as Schema;
  assert.equal(md.properties!.replicas!.minimum, 0);
  assert.deepEqual(md.properties!.strategy!.properties!.type!.enum, ['RollingUpdate', 'OnDelete']);
  const services = (cluster.spec as unknown as Schema).properties!.clusterNetwork!.properties!.services!;
  assert.equal(services.properties!.cidrBlocks!.items!.format, 'cidr');
});

test('examples/quickstart.yaml is the shape the issue gives: a Cluster and a MachineDeployment', () => {
  const docs = yaml.loadAll(readFileSync(join(repoRoot(), 'examples', 'quickstart.yaml'), 'utf8')) as { kind: string; apiVersion: string }[];
  assert.deepEqual(docs.map((d) => d.kind), ['Cluster', 'MachineDeployment']);
  for (const d of docs) assert.equal(d.apiVersion, 'clusterd.dev/v1alpha1');
});
