/**
 * The command-line flags each control-plane binary accepts, per Kubernetes minor, read from the tables generated from
 * the real binaries' --help (bootstrap/versions/). Every flag the agent writes into a static Pod manifest, defaults and
 * extraArgs alike, is checked against the target version's table, so a manifest never crash-loops on a flag its binary
 * does not know (kubeadm's own documents predate removals such as --cloud-provider on kube-apiserver in 1.33).
 */
import { DEFAULT_KUBERNETES_VERSION, isSupportedVersion, minorOf, SUPPORTED_MINORS } from '../lib/version.js';
import { committedComponents, committedFlags, type Component, type ComponentVersions } from './versions/tables.js';

export type { Component } from './versions/tables.js';
export { isSupportedVersion, minorOf, SUPPORTED_MINORS } from '../lib/version.js';

/** The flag table for a Kubernetes version, or undefined when this agent does not support that minor. */
export function flagTable(version: string, component: Component): ReadonlySet<string> | undefined {
  if (!isSupportedVersion(version)) return undefined;
  return committedFlags(minorOf(version)!)?.[component];
}

/** Flags in names that the target binary does not accept. A minor without a table is an error, never a guess. */
export function unknownFlags(version: string, component: Component, names: string[]): string[] {
  const table = flagTable(version, component);
  if (!table) throw new Error(`flags: no flag table for Kubernetes ${version} (supported minors: ${SUPPORTED_MINORS.join(', ')})`);
  return names.filter((n) => !table.has(n));
}

/**
 * The etcd, CoreDNS and pause versions kubeadm of that release pins. An unsupported version gets the default
 * release's (preflight refuses it before anything is written; this only keeps the manifests it checks renderable).
 */
export function componentVersions(version: string): ComponentVersions {
  const minor = isSupportedVersion(version) ? minorOf(version)! : minorOf(DEFAULT_KUBERNETES_VERSION)!;
  const c = committedComponents(minor);
  if (!c) throw new Error(`no component versions for Kubernetes ${minor} in bootstrap/versions (run node dist/bootstrap/versions/generate.js)`);
  return c;
}
