/**
 * deploy/ as a user installs it: `kubectl kustomize deploy/` and `kubectl apply --dry-run=server -k deploy/`.
 * dryRunApplyDeploy takes any kubeconfig, so the same check runs against the embedded API server
 * (test/cmd/deploy.test.ts) and against a real kube-apiserver.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { repoRoot } from '../../lib/paths.js';
import type { KubeObject } from '../../runtime/types.js';

const run = promisify(execFile);

export const deployDir = (): string => join(repoRoot(), 'deploy');

/** The objects `kubectl kustomize deploy/` renders. */
export async function renderDeploy(): Promise<KubeObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', deployDir()], { maxBuffer: 64 << 20 });
  return yaml.loadAll(stdout).filter((o): o is KubeObject => !!o && typeof o === 'object');
}

/**
 * `kubectl apply --dry-run=server -k deploy/` against the cluster of `kubeconfig`. The namespace is created for
 * real first: an API server refuses namespaced objects (even in a dry run) in a namespace that does not exist yet,
 * kube-apiserver's NamespaceLifecycle admission as much as the embedded server. Resolves with kubectl's output;
 * rejects with it when kubectl fails.
 */
export async function dryRunApplyDeploy(kubeconfig: string): Promise<string> {
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const ns = await run('kubectl', ['create', 'namespace', 'clusterd-system'], { env }).catch((err: { stderr?: string }) => {
    if (!/AlreadyExists|already exists/.test(err.stderr ?? '')) throw err;
    return undefined;
  });
  void ns;
  try {
    const { stdout, stderr } = await run('kubectl', ['apply', '--dry-run=server', '-k', deployDir()], { env, maxBuffer: 64 << 20 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`kubectl apply --dry-run=server -k deploy/ failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}
