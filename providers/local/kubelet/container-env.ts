/**
 * A container's environment and command line as the kubelet makes them: env values, valueFrom.fieldRef from the Pod,
 * $(VAR) references in values, command and args expanded (Kubernetes' expansion: an undefined $(VAR) stays as written,
 * $$ is a literal $). An absolute command that names the image's binary runs that binary: the image would have it at
 * that path, the process kubelet has the built binary instead.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { ContainerSpec } from './container.js';
import type { ResolvedImage } from './images.js';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; [other: string]: unknown };
}

/** What a fieldRef can read: the Pod as the API server has it, plus the addresses the kubelet knows. */
export interface PodFacts {
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { nodeName?: string; serviceAccountName?: string };
  hostIP: string;
  podIP: string;
}

/** Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion). */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const v = lookup(name);
      out += v ?? `$(${name})`;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

function fieldValue(path: string, pod: PodFacts): string | Error {
  const sub = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  if (sub) return pod.metadata[sub[1] as 'labels' | 'annotations']?.[sub[2]!] ?? '';
  switch (path) {
    case 'metadata.name': return pod.metadata.name;
    case 'metadata.namespace': return pod.metadata.namespace ?? 'default';
    case 'metadata.uid': return pod.metadata.uid ?? '';
    case 'spec.nodeName': return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP': case 'status.hostIPs': return pod.hostIP;
    case 'status.podIP': case 'status.podIPs': return pod.podIP;
    default: return new Error(`fieldRef ${path} is not supported`);
  }
}

/** The container's env, or an Error naming the variable the process kubelet cannot fill. */
export function containerEnv(env: EnvVar[] | undefined, pod: PodFacts): Record<string, string> | Error {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    if (e.valueFrom) {
      if (!e.valueFrom.fieldRef) return new Error(`env ${e.name}: only value and valueFrom.fieldRef are supported by the process kubelet`);
      const v = fieldValue(e.valueFrom.fieldRef.fieldPath, pod);
      if (v instanceof Error) return new Error(`env ${e.name}: ${v.message}`);
      out[e.name] = v;
    } else {
      out[e.name] = expand(e.value ?? '', (n) => out[n]);
    }
  }
  return out;
}

/** The argv to exec: command (or the image's binary) and args, expanded against env. */
export function containerCommand(spec: ContainerSpec, image: ResolvedImage, env: Record<string, string>): string[] {
  const lookup = (n: string): string | undefined => env[n];
  const command = (spec.command?.length ? spec.command : [image.binary]).map((s) => expand(s, lookup));
  const args = (spec.args ?? []).map((s) => expand(s, lookup));
  const first = command[0]!;
  if (first.startsWith('/') && basename(first) === basename(image.binary) && !existsSync(first)) command[0] = image.binary;
  return [...command, ...args];
}
