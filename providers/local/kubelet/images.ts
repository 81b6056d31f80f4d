/**
 * What runs an image: the process kubelet has no registry, only the binaries tools/kube/build.sh compiled. The image's
 * name picks the binary and its tag the version: registry.k8s.io/kube-apiserver:v1.37.2 is kube-apiserver of v1.37.2;
 * registry.k8s.io/etcd:3.6.5-0 is the etcd v3.6.5 that some built Kubernetes version pins. Anything else is not
 * runnable, and the error says why, so the Pod can be reported Waiting with that reason instead of Running.
 */
import { spawnSync } from 'node:child_process';
import { builtKubeVersions, findKubeBinary, kubeBinDir, kubeCacheDir, type KubeBinary } from '../../../lib/kube-binaries.js';

export interface ResolvedImage {
  /** The folder put first on the container's PATH, so its command runs verbatim. */
  binDir: string;
  binary: string;
  version: string;
}

const KUBE_IMAGES = new Set(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy']);

export function parseImage(image: string): { name: string; tag: string } {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const tag = colon > slash ? ref.slice(colon + 1) : 'latest';
  const path = colon > slash ? ref.slice(0, colon) : ref;
  return { name: path.slice(path.lastIndexOf('/') + 1), tag };
}

const etcdVersions = new Map<string, string | undefined>();

/** The etcd version built beside a Kubernetes version (asked of the binary itself, once). */
function builtEtcdVersion(kubeVersion: string, env: NodeJS.ProcessEnv): string | undefined {
  const key = `${kubeCacheDir(env)}/${kubeVersion}`;
  if (!etcdVersions.has(key)) {
    const bin = findKubeBinary(kubeVersion, 'etcd', env);
    const out = bin ? spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '' : '';
    const v = /etcd Version:\s*(\S+)/.exec(out)?.[1];
    etcdVersions.set(key, v ? `v${v.replace(/^v/, '')}` : undefined);
  }
  return etcdVersions.get(key);
}

/** The binary for image, or an Error that says what is missing (never throws). */
export function resolveImage(image: string, env: NodeJS.ProcessEnv = process.env): ResolvedImage | Error {
  const { name, tag } = parseImage(image);
  if (KUBE_IMAGES.has(name)) {
    if (!/^v\d+\.\d+\.\d+$/.test(tag)) return new Error(`image ${image}: tag ${tag} is not a Kubernetes release version`);
    const bin = findKubeBinary(tag, name as KubeBinary, env);
    if (!bin) return new Error(`image ${image}: ${name} ${tag} is not built in ${kubeBinDir(tag, env)} (run \`make kube\` or tools/kube/build.sh ${tag})`);
    return { binDir: kubeBinDir(tag, env), binary: bin, version: tag };
  }
  if (name === 'etcd') {
    const want = `v${tag.replace(/^v/, '').replace(/-\d+$/, '')}`;
    const built = builtKubeVersions(env);
    const found = built.map((v) => ({ v, etcd: builtEtcdVersion(v, env) }));
    const hit = found.find((f) => f.etcd === want);
    if (!hit) {
      const have = found.map((f) => `${f.etcd ?? 'no etcd'} with Kubernetes ${f.v}`).join(', ') || 'nothing';
      return new Error(`image ${image}: etcd ${want} is not built in ${kubeCacheDir(env)} (built: ${have})`);
    }
    return { binDir: kubeBinDir(hit.v, env), binary: findKubeBinary(hit.v, 'etcd', env)!, version: want };
  }
  return new Error(`image ${image}: no binary is built for ${name} (the local machines run only the images clusterd builds: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy)`);
}
