/**
 * Where the real Kubernetes binaries live. tools/kube/build.sh compiles them from Go modules (nothing prebuilt is
 * downloaded) into a cache outside git, one folder per pinned version:
 *
 *   ${KUBE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/clusterd/kube}/vX.Y.Z/bin/{kube-apiserver,kube-controller-manager,
 *   kube-scheduler,kubectl,kube-proxy,etcd,etcdctl}
 *
 * `make kube` builds what is missing for the versions the tests use (KUBE_VERSIONS in the Makefile).
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const KUBE_BINARIES = [
  'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kube-proxy', 'etcd', 'etcdctl',
] as const;
export type KubeBinary = (typeof KUBE_BINARIES)[number];

/** The Kubernetes version the tests run by default, and the one before it (for upgrades). */
export const KUBE_TEST_VERSION = 'v1.37.2';
export const KUBE_PREVIOUS_TEST_VERSION = 'v1.36.3';

export function kubeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBE_CACHE) return env.KUBE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'clusterd', 'kube');
}

export function kubeBinDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(kubeCacheDir(env), version, 'bin');
}

/** The path of one binary, or undefined when that version has not been built. */
export function findKubeBinary(version: string, name: KubeBinary, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = join(kubeBinDir(version, env), name);
  return existsSync(path) ? path : undefined;
}

/**
 * The path of one binary; a missing one is an error that says how to build it. Tests call this and fail, never
 * skip: in CI the binaries are required.
 */
export function kubeBinary(version: string, name: KubeBinary, env: NodeJS.ProcessEnv = process.env): string {
  const path = findKubeBinary(version, name, env);
  if (!path) {
    throw new Error(`${name} ${version} is not built in ${kubeBinDir(version, env)}: run \`make kube\` (or tools/kube/build.sh ${version})`);
  }
  return path;
}

/** Versions with a built bin/ folder in the cache, newest last. */
export function builtKubeVersions(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = kubeCacheDir(env);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((v) => /^v\d+\.\d+\.\d+$/.test(v) && existsSync(join(dir, v, 'bin', '.stamp')))
    .sort((a, b) => {
      const pa = a.slice(1).split('.').map(Number);
      const pb = b.slice(1).split('.').map(Number);
      return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
    });
}
