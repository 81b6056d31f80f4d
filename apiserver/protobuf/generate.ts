/**
 * Generates apiserver/protobuf/schema.json: the protobuf messages of the built-in API groups the embedded API server
 * serves, read from the generated.proto files of the k8s.io/api and k8s.io/apimachinery Go modules pinned in
 * tools/kube/k8s/<version> (the module cache holds them once `make kube` has run). Only the message layout (field
 * numbers, names, types) is kept, as data: enough to decode a request body that a client-go typed client sends
 * in protobuf, which kubectl 1.35+ does for built-in kinds.
 *
 *   node dist/apiserver/protobuf/generate.js [out.json]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { KUBE_TEST_VERSION } from '../../lib/kube-binaries.js';
import { repoRoot } from '../../lib/paths.js';

/** k8s.io/api packages (folder/version) whose kinds the embedded API server serves or reviews. */
export const API_PACKAGES = [
  'core/v1', 'apps/v1', 'policy/v1', 'rbac/v1', 'certificates/v1', 'coordination/v1', 'events/v1',
  'authorization/v1', 'authentication/v1',
];

interface GoModule {
  Path: string;
  Dir: string;
}

/** Where the Go module cache keeps k8s.io/api and k8s.io/apimachinery at the pinned version (downloaded if needed). */
export function moduleDirs(version = KUBE_TEST_VERSION): Record<string, string> {
  const out = execFileSync('go', ['mod', 'download', '-json', 'k8s.io/api', 'k8s.io/apimachinery'], {
    cwd: join(repoRoot(), 'tools', 'kube', 'k8s', version), encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  const dirs: Record<string, string> = {};
  // `go mod download -json` prints one JSON object per module, back to back.
  for (const chunk of out.split(/\n(?=\{)/)) {
    const m = JSON.parse(chunk) as GoModule;
    dirs[m.Path] = m.Dir;
  }
  return dirs;
}

export function generateSchema(version = KUBE_TEST_VERSION): string {
  const dirs = moduleDirs(version);
  const root = new protobuf.Root();
  // Imports name files by Go import path: k8s.io/apimachinery/pkg/... lives in that module's folder.
  root.resolvePath = (_origin: string, target: string): string => {
    for (const [path, dir] of Object.entries(dirs)) {
      if (target.startsWith(`${path}/`)) return join(dir, target.slice(path.length + 1));
    }
    return target;
  };
  root.loadSync(API_PACKAGES.map((p) => `k8s.io/api/${p}/generated.proto`), { keepCase: true });
  root.resolveAll();
  // Stable text: the same modules give the same file, so the drift test can compare bytes.
  return `${JSON.stringify(root.toJSON({ keepComments: false }), null, 1)}\n`;
}

if (process.argv[1]?.endsWith('generate.js')) {
  const out = process.argv[2] ?? join(repoRoot(), 'apiserver', 'protobuf', 'schema.json');
  writeFileSync(out, generateSchema());
  process.stdout.write(`wrote ${out}\n`);
}
