/**
 * The volumes of a Pod the scheduler bound to the Node, made as the kubelet makes them, under
 * /var/lib/kubelet/pods/<uid>/volumes/<plugin>/<name>, with the Node's own credentials (the Node authorizer lets a
 * kubelet read only what the Pods bound to it reference):
 *   - configMap and secret: the object's keys (or the listed items) as files;
 *   - projected: serviceAccountToken through the TokenRequest API, bound to the Pod (as the kubelet asks for it),
 *     configMap, secret and downwardAPI sources;
 *   - downwardAPI, emptyDir, hostPath.
 * Anything else is an Error that names the volume, so the Pod is reported waiting with that reason.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { ApiError, type KubeClient } from '../../inmemory/kubeclient.js';
import { prepareHostPath } from './container.js';

interface KeyToPath { key: string; path: string; mode?: number }
interface ObjSource { name: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number }
interface DownwardItem { path: string; fieldRef?: { fieldPath: string }; mode?: number }
interface ProjectedSource {
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
  configMap?: ObjSource;
  secret?: ObjSource;
  downwardAPI?: { items?: DownwardItem[] };
  [other: string]: unknown;
}
export interface PodVolume {
  name: string;
  hostPath?: { path: string; type?: string };
  configMap?: ObjSource;
  secret?: ObjSource & { secretName?: string };
  projected?: { sources: ProjectedSource[]; defaultMode?: number };
  downwardAPI?: { items?: DownwardItem[] };
  emptyDir?: Record<string, unknown>;
  [other: string]: unknown;
}

export interface BoundPod {
  metadata: { name: string; namespace?: string; uid: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { serviceAccountName?: string; nodeName?: string; volumes?: PodVolume[] };
}

/** Where a Pod's volumes live on the machine (removed with the Pod). */
export const podDir = (uid: string): string => join('/var/lib/kubelet/pods', uid);

/** A TokenRequest's default lifetime as the kubelet's projected volumes ask for it (3607 s: an hour, with slack). */
const DEFAULT_TOKEN_SECONDS = 3607;
/** The kubelet renews a projected token once 80% of its lifetime has passed; volumes are remade then. */
export const VOLUME_REFRESH_MS = DEFAULT_TOKEN_SECONDS * 1000 * 0.8;

type Files = Map<string, { data: Buffer; mode: number }>;

function put(files: Files, path: string, data: Buffer | string, mode: number): void {
  const p = normalize(path);
  if (p.startsWith('..') || p.startsWith('/')) throw new Error(`path ${path} leaves the volume`);
  files.set(p, { data: Buffer.isBuffer(data) ? data : Buffer.from(data), mode });
}

async function objectFiles(client: KubeClient, ns: string, kind: 'configmaps' | 'secrets', src: ObjSource, mode: number, files: Files): Promise<void> {
  const obj = await client.getOrUndefined<{ data?: Record<string, string>; binaryData?: Record<string, string> }>(`/api/v1/namespaces/${ns}/${kind}/${src.name}`);
  if (!obj) {
    if (src.optional) return;
    throw new Error(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${src.name}" not found`);
  }
  const all = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(obj.data ?? {})) all.set(k, kind === 'secrets' ? Buffer.from(v, 'base64') : Buffer.from(v));
  for (const [k, v] of Object.entries(obj.binaryData ?? {})) all.set(k, Buffer.from(v, 'base64'));
  const items: KeyToPath[] = src.items ?? [...all.keys()].map((key) => ({ key, path: key }));
  for (const it of items) {
    const v = all.get(it.key);
    if (v === undefined) {
      if (src.optional) continue;
      throw new Error(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${src.name}" has no key ${it.key}`);
    }
    put(files, it.path, v, it.mode ?? mode);
  }
}

function downwardFiles(pod: BoundPod, items: DownwardItem[], mode: number, files: Files): void {
  for (const it of items) {
    const f = it.fieldRef?.fieldPath;
    const m = f ? /^metadata\.(labels|annotations)(?:\['([^']+)'\])?$/.exec(f) : null;
    let v: string;
    if (f === 'metadata.name') v = pod.metadata.name;
    else if (f === 'metadata.namespace') v = pod.metadata.namespace ?? 'default';
    else if (f === 'metadata.uid') v = pod.metadata.uid;
    else if (m) {
      const map = pod.metadata[m[1] as 'labels' | 'annotations'] ?? {};
      v = m[2] ? map[m[2]] ?? '' : Object.keys(map).sort().map((k) => `${k}=${JSON.stringify(map[k])}`).join('\n');
    } else throw new Error(`downwardAPI ${it.path}: only metadata fields are supported by the process kubelet`);
    put(files, it.path, v, it.mode ?? mode);
  }
}

async function tokenFile(client: KubeClient, pod: BoundPod, src: NonNullable<ProjectedSource['serviceAccountToken']>, mode: number, files: Files): Promise<void> {
  const ns = pod.metadata.namespace ?? 'default';
  const sa = pod.spec.serviceAccountName || 'default';
  const res = await client.create<{ status: { token: string } }>(`/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
    spec: {
      audiences: src.audience ? [src.audience] : [], expirationSeconds: src.expirationSeconds ?? DEFAULT_TOKEN_SECONDS,
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
    },
  });
  // The token is a credential: readable by the container's user only, whatever the volume's defaultMode.
  put(files, src.path, res.status.token, mode & 0o600);
}

/** The files of one non-hostPath volume, or undefined for emptyDir (an empty folder). */
async function volumeFiles(client: KubeClient, pod: BoundPod, v: PodVolume): Promise<Files | undefined> {
  const ns = pod.metadata.namespace ?? 'default';
  const files: Files = new Map();
  if (v.configMap) await objectFiles(client, ns, 'configmaps', v.configMap, v.configMap.defaultMode ?? 0o644, files);
  else if (v.secret) await objectFiles(client, ns, 'secrets', { ...v.secret, name: v.secret.secretName ?? v.secret.name }, v.secret.defaultMode ?? 0o644, files);
  else if (v.downwardAPI) downwardFiles(pod, v.downwardAPI.items ?? [], 0o644, files);
  else if (v.projected) {
    const mode = v.projected.defaultMode ?? 0o644;
    for (const s of v.projected.sources) {
      if (s.serviceAccountToken) await tokenFile(client, pod, s.serviceAccountToken, mode, files);
      else if (s.configMap) await objectFiles(client, ns, 'configmaps', s.configMap, mode, files);
      else if (s.secret) await objectFiles(client, ns, 'secrets', s.secret, mode, files);
      else if (s.downwardAPI) downwardFiles(pod, s.downwardAPI.items ?? [], mode, files);
      else throw new Error(`projected source ${Object.keys(s).join(',')} is not supported by the process kubelet`);
    }
  } else if (v.emptyDir) return undefined;
  else throw new Error(`volume type ${Object.keys(v).filter((k) => k !== 'name').join(',')} is not supported by the process kubelet`);
  return files;
}

/** Makes every volume of the Pod; returns volume name → folder or file to bind, or an Error naming the volume. */
export async function preparePodVolumes(client: KubeClient, pod: BoundPod): Promise<Map<string, string> | Error> {
  const out = new Map<string, string>();
  for (const v of pod.spec.volumes ?? []) {
    try {
      if (v.hostPath) {
        const bad = prepareHostPath(v.hostPath.path, v.hostPath.type);
        if (bad) return new Error(`volume ${v.name}: ${bad}`);
        out.set(v.name, v.hostPath.path);
        continue;
      }
      const plugin = v.configMap ? 'configmap' : v.secret ? 'secret' : v.projected ? 'projected' : v.downwardAPI ? 'downward-api' : 'empty-dir';
      const dir = join(podDir(pod.metadata.uid), 'volumes', `kubernetes.io~${plugin}`, v.name);
      const files = await volumeFiles(client, pod, v);
      // Written in place, never removed first: a running container has this folder bound, and a refresh (a new
      // token) must show through its mount.
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      for (const [p, f] of files ?? []) {
        mkdirSync(dirname(join(dir, p)), { recursive: true });
        writeFileSync(join(dir, p), f.data, { mode: f.mode });
      }
      out.set(v.name, dir);
    } catch (err) {
      const why = err instanceof ApiError ? `${err.code} ${err.message}` : err instanceof Error ? err.message : String(err);
      return new Error(`MountVolume.SetUp failed for volume "${v.name}": ${why}`);
    }
  }
  return out;
}
