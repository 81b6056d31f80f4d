/**
 * What the workload cluster keeps of the control plane's version, as Cluster API's KubeadmControlPlane keeps it:
 *   - kubeadm-config's ClusterConfiguration.kubernetesVersion (UpdateKubernetesVersionInKubeadmConfigMap): a joining
 *     control plane writes its static Pods at that version, so it is set before a member of a new version is created;
 *   - kubeadm's kube-proxy addon follows the control plane's version, as Cluster API's KubeadmControlPlane keeps it
 * (its UpdateKubeProxyImageInfo): the agent's init created the DaemonSet at the first version, and nothing else ever
 * bumps it. Here it is set only once every control-plane member runs the desired version and is ready, so kube-proxy
 * is never newer than an API server it talks to.
 */
import type { Client } from '../../runtime/client.js';
import { ignoreNotFound } from '../../runtime/errors.js';
import type { KubeObject } from '../../runtime/types.js';
import type { CPDesired, CPMember } from './control-plane.js';

const DAEMONSET_GVK = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;
const CONFIGMAP_GVK = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const VERSION_LINE = /^kubernetesVersion:[ \t]*\S+[ \t]*$/m;

/** The ClusterConfiguration text with kubernetesVersion set to version (every other byte kept), or undefined if unchanged. */
export function withKubernetesVersion(clusterConfiguration: string, version: string): string | undefined {
  const line = `kubernetesVersion: ${version}`;
  if (!VERSION_LINE.test(clusterConfiguration)) return `${clusterConfiguration.replace(/\n*$/, '\n')}${line}\n`;
  const next = clusterConfiguration.replace(VERSION_LINE, line);
  return next === clusterConfiguration ? undefined : next;
}

/** Sets kubeadm-config's kubernetesVersion; true when it changed. A missing kubeadm-config is an error (joins need it). */
export async function syncKubeadmConfigVersion(wc: Client, version: string): Promise<boolean> {
  const cm = await wc.get<KubeObject & { data?: Record<string, string> }>(CONFIGMAP_GVK, { namespace: 'kube-system', name: 'kubeadm-config' });
  const next = withKubernetesVersion(cm.data?.ClusterConfiguration ?? '', version);
  if (next === undefined) return false;
  cm.data = { ...cm.data, ClusterConfiguration: next };
  await wc.update(cm);
  return true;
}

interface DaemonSet extends KubeObject {
  spec?: { template?: { spec?: { containers?: { name: string; image: string }[] } } };
}

/** Whether the control plane has finished rolling out desired: every member at its version, none leaving, all ready. */
export function controlPlaneAt(members: CPMember[], d: CPDesired): boolean {
  return members.length === d.replicas && members.every((m) => !m.deleting && m.ready && m.version === d.version);
}

/** image with its tag set to version when it is a kube-proxy image of another tag, else undefined. */
export function kubeProxyImage(image: string, version: string): string | undefined {
  const m = /^(.*\/)?kube-proxy:(v\d+\.\d+\.\d+)$/.exec(image);
  return m && m[2] !== version ? `${m[1] ?? ''}kube-proxy:${version}` : undefined;
}

/** Sets kube-system/kube-proxy's image to version; returns the image it replaced, or undefined when nothing changed. */
export async function syncKubeProxyVersion(wc: Client, version: string): Promise<string | undefined> {
  const ds = await ignoreNotFound(wc.get<DaemonSet>(DAEMONSET_GVK, { namespace: 'kube-system', name: 'kube-proxy' }));
  const c = ds?.spec?.template?.spec?.containers?.find((x) => x.name === 'kube-proxy');
  const next = c && kubeProxyImage(c.image, version);
  if (!ds || !c || !next) return undefined;
  const was = c.image;
  c.image = next;
  await wc.update(ds);
  return was;
}
