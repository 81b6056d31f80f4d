// End-to-end through the real kubectl: schema validation messages, defaults, pruning, explain, printer columns and
// server-side apply conflicts on a custom resource.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { kubectlMinor, toServer } from '../support/kubectl-version.js';
import { eventually, kubectlRunner, tempDir } from './helpers.js';

const dir = tempDir('apischema-e2e-');
const kubeconfig = join(dir.path, 'kubeconfig');
const k = kubectlRunner(kubeconfig, join(dir.path, 'cache'));
let server: RunningApiServer;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.schema.test
spec:
  group: schema.test
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget, shortNames: [wdg]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Strategy, type: string, jsonPath: .spec.strategy.type}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        description: Widget is a test resource.
        properties:
          spec:
            type: object
            description: Desired state of the widget.
            required: [version]
            properties:
              replicas: {type: integer, minimum: 0, default: 1, description: How many widgets.}
              version: {type: string, pattern: '^v1\\.\\d+\\.\\d+$', description: The widget version.}
              strategy:
                type: object
                default: {}
                description: How widgets are replaced.
                properties:
                  type: {type: string, enum: [RollingUpdate, OnDelete], default: RollingUpdate, description: The strategy type.}
          status:
            type: object
            properties:
              replicas: {type: integer}
`;

const widget = (name: string, spec: string): string => `apiVersion: schema.test/v1\nkind: Widget\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n${spec}`;

before(async () => {
  server = await startApiServer({ port: 0 });
  writeFileSync(kubeconfig, server.adminKubeconfig());
  const r = await k(['apply', '-f', '-'], { input: CRD });
  assert.equal(r.code, 0, r.stderr);
  await eventually(async () => (await k(['get', 'widgets'])).code === 0, 10_000, 'widgets served');
});

after(async () => {
  await server?.close();
  dir.remove();
});

describe('kubectl against custom resource schemas', () => {
  it('reports invalid values with kube-apiserver messages', async () => {
    const neg = await k(['apply', ...toServer(), '-f', '-'], { input: widget('bad1', '  version: v1.30.1\n  replicas: -1\n') });
    assert.notEqual(neg.code, 0);
    assert.match(neg.stderr, /spec\.replicas: Invalid value: -1: spec\.replicas in body should be greater than or equal to 0/);
    const pat = await k(['apply', ...toServer(), '-f', '-'], { input: widget('bad2', '  version: "1.30"\n') });
    assert.match(pat.stderr, /spec\.version: Invalid value: "1\.30": spec\.version in body should match '\^v1\\\.\\d\+\\\.\\d\+\$'/);
    const en = await k(['apply', ...toServer(), '-f', '-'], { input: widget('bad3', '  version: v1.30.1\n  strategy: {type: Foo}\n') });
    assert.match(en.stderr, /spec\.strategy\.type: Unsupported value: "Foo": supported values: "RollingUpdate", "OnDelete"/);
    const req = await k(['apply', ...toServer(), '-f', '-'], { input: widget('bad4', '  replicas: 1\n') });
    assert.match(req.stderr, /spec\.version: Required value/);
  });

  it('applies defaults, prunes unknown fields, and rejects them under Strict', async () => {
    const ok = await k(['apply', '--validate=false', '-f', '-'], { input: widget('w1', '  version: v1.30.1\n  bogus: 1\n') });
    assert.equal(ok.code, 0, ok.stderr);
    const got = JSON.parse((await k(['get', 'widget', 'w1', '-o', 'json'])).stdout) as { spec: Record<string, unknown> };
    assert.deepEqual(got.spec, { version: 'v1.30.1', replicas: 1, strategy: { type: 'RollingUpdate' } });
    // kubectl before 1.25 has no --validate=strict: the same request, by hand.
    const strict = kubectlMinor() >= 25
      ? await k(['create', '--validate=strict', '-f', '-'], { input: widget('w2', '  version: v1.30.1\n  bogus: 1\n') })
      : await k(['create', '--raw', '/apis/schema.test/v1/namespaces/default/widgets?fieldValidation=Strict', '-f', '-'], { input: JSON.stringify(yaml.load(widget('w2', '  version: v1.30.1\n  bogus: 1\n'))) });
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /unknown field "spec\.bogus"/);
  });

  it('prints the printer columns and explains fields', async () => {
    const get = await k(['get', 'wdg', 'w1']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^NAME\s+REPLICAS\s+STRATEGY\s+AGE\n/);
    assert.match(get.stdout, /\nw1\s+1\s+RollingUpdate\s+\d+s\n/);
    const explain = await k(['explain', 'widgets.spec']);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, /Desired state of the widget/);
    assert.match(explain.stdout, /replicas\s+<integer>/);
    assert.match(explain.stdout, /How many widgets/);
    const nested = await k(['explain', 'widget.spec.strategy.type']);
    assert.match(nested.stdout, /The strategy type/);
  });

  it('server-side apply conflicts between managers and --force-conflicts wins', async () => {
    const a = await k(['apply', '--server-side', '--field-manager', 'alice', '-f', '-'], { input: widget('ssa', '  version: v1.30.1\n  replicas: 2\n') });
    assert.equal(a.code, 0, a.stderr);
    const b = await k(['apply', '--server-side', '--field-manager', 'bob', '-f', '-'], { input: widget('ssa', '  version: v1.30.1\n  replicas: 3\n') });
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /conflict with "alice": \.spec\.replicas/);
    const f = await k(['apply', '--server-side', '--field-manager', 'bob', '--force-conflicts', '-f', '-'], { input: widget('ssa', '  version: v1.30.1\n  replicas: 3\n') });
    assert.equal(f.code, 0, f.stderr);
    const got = JSON.parse((await k(['get', 'widget', 'ssa', '-o', 'json', ...(kubectlMinor() >= 21 ? ['--show-managed-fields'] : [])])).stdout) as { spec: { replicas: number }; metadata: { managedFields: { manager: string }[] } };
    assert.equal(got.spec.replicas, 3);
    assert.ok(got.metadata.managedFields.some((m) => m.manager === 'bob'));
  });
});
