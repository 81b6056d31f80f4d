/** The internal model back to kubeadm's documents (v1beta4, as kubeadm 1.31 and later write them), for kubeadm-config. */
import yaml from 'js-yaml';
import type { Arg, ClusterConfiguration, ControlPlaneComponent, HostPathMount, NodeRegistration } from './types.js';
import { formatDuration } from './schema.js';

export type KubeadmAPIVersion = 'v1beta3' | 'v1beta4';

type Doc = Record<string, unknown>;

function args(a: Arg[], v: KubeadmAPIVersion): unknown {
  if (a.length === 0) return undefined;
  return v === 'v1beta4' ? a.map((x) => ({ name: x.name, value: x.value })) : Object.fromEntries(a.map((x) => [x.name, x.value]));
}

function volumes(vs: HostPathMount[]): unknown {
  return vs.length === 0 ? undefined : vs.map((x) => ({ name: x.name, hostPath: x.hostPath, mountPath: x.mountPath, ...(x.readOnly ? { readOnly: true } : {}), ...(x.pathType ? { pathType: x.pathType } : {}) }));
}

function component(c: ControlPlaneComponent, v: KubeadmAPIVersion, extra: Doc = {}): Doc {
  return prune({ extraArgs: args(c.extraArgs, v), extraVolumes: volumes(c.extraVolumes), ...extra });
}

/** Drops undefined and empty values so documents stay small and diff-friendly. */
export function prune<T extends Doc>(d: T): T {
  const out: Doc = {};
  for (const [k, val] of Object.entries(d)) {
    if (val === undefined || val === null) continue;
    if (Array.isArray(val) && val.length === 0) continue;
    if (typeof val === 'object' && !Array.isArray(val) && Object.keys(val as object).length === 0) continue;
    out[k] = val;
  }
  return out as T;
}

export function clusterConfigurationDocument(cfg: ClusterConfiguration, v: KubeadmAPIVersion = 'v1beta4'): Doc {
  const etcd = cfg.etcd.external
    ? { external: prune({ ...cfg.etcd.external }) }
    : { local: prune({ ...cfg.etcd.local, extraArgs: args(cfg.etcd.local?.extraArgs ?? [], v) }) };
  return prune({
    apiVersion: `kubeadm.k8s.io/${v}`,
    kind: 'ClusterConfiguration',
    kubernetesVersion: cfg.kubernetesVersion,
    clusterName: cfg.clusterName,
    controlPlaneEndpoint: cfg.controlPlaneEndpoint || undefined,
    imageRepository: cfg.imageRepository,
    certificatesDir: cfg.certificatesDir,
    networking: prune({ ...cfg.networking }),
    etcd,
    apiServer: component(cfg.apiServer, v, { certSANs: cfg.apiServer.certSANs }),
    controllerManager: component(cfg.controllerManager, v),
    scheduler: component(cfg.scheduler, v),
    featureGates: cfg.featureGates,
    dns: prune({ imageRepository: cfg.dns.imageRepository, imageTag: cfg.dns.imageTag, ...(v === 'v1beta4' && cfg.dns.disabled ? { disabled: true } : {}) }),
    ...(v === 'v1beta4' && cfg.proxy.disabled ? { proxy: { disabled: true } } : {}),
    ...(v === 'v1beta4' ? {
      encryptionAlgorithm: cfg.encryptionAlgorithm,
      certificateValidityPeriod: formatDuration(cfg.certificateValidityPeriodMs),
      caCertificateValidityPeriod: formatDuration(cfg.caCertificateValidityPeriodMs),
    } : {}),
  });
}

export function nodeRegistrationDocument(n: Partial<NodeRegistration>, v: KubeadmAPIVersion = 'v1beta4'): Doc {
  return prune({
    name: n.name,
    criSocket: n.criSocket,
    taints: n.taints,
    kubeletExtraArgs: args(n.kubeletExtraArgs ?? [], v),
    ignorePreflightErrors: n.ignorePreflightErrors,
    imagePullPolicy: n.imagePullPolicy,
  });
}

export { formatDuration };

export function dumpDocuments(docs: Doc[]): string {
  return docs.map((d) => yaml.dump(d, { lineWidth: -1, noRefs: true })).join('---\n');
}
