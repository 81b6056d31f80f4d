/**
 * What the simulated kubelet does with each static Pod manifest kubeadm writes: read the container's
 * command-line flags and start the equivalent in-process component.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

export interface StaticPod {
  /** The `component` label kubeadm sets (kube-apiserver, kube-controller-manager, kube-scheduler, etcd). */
  component: string;
  flags: Map<string, string>;
  /** The container image (registry.k8s.io/kube-apiserver:v1.37.2). */
  image?: string;
  /** Fingerprint of the manifest: a changed manifest restarts the component, as the kubelet does. */
  hash: string;
}

interface PodManifest {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { containers?: { command?: string[]; args?: string[]; image?: string }[] };
}

/** `--name=value` and `--name value` → name → value (a bare `--flag` is "true"). */
export function parseFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) flags.set(a.slice(2), argv[++i]!);
    else flags.set(a.slice(2), 'true');
  }
  return flags;
}

export function parseStaticPod(text: string): StaticPod {
  const pod = yaml.load(text) as PodManifest | null;
  const c = pod?.spec?.containers?.[0];
  if (!pod || !c) throw new Error('static pod manifest has no containers');
  const component = pod.metadata?.labels?.component ?? pod.metadata?.name?.replace(/-[^-]+$/, '') ?? 'unknown';
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return { component, flags: parseFlags([...(c.command ?? []), ...(c.args ?? [])]), ...(c.image ? { image: c.image } : {}), hash: `${text.length}-${h >>> 0}` };
}

/** A file named by a flag, as the container would see it: host paths live under the machine's root. */
export function readFlagFile(root: string, flags: Map<string, string>, flag: string): string {
  const p = flags.get(flag);
  if (!p) throw new Error(`--${flag} is not set`);
  return readFileSync(join(root, p), 'utf8');
}

/** The version a static Pod runs: its image's tag when that is a Kubernetes version (kube-apiserver:v1.37.2). */
export function imageVersion(pod: StaticPod): string | undefined {
  const tag = pod.image?.slice(pod.image.lastIndexOf(':') + 1);
  return tag && /^v\d+\.\d+\.\d+/.test(tag) ? tag : undefined;
}
