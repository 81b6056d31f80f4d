/** join's preflight phase: the node's own checks, then the cluster's version and configuration API, read from the cluster. */
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { checkConfigAPIVersion } from '../../config/load.js';
import { apiServerManifest, controllerManagerManifest, etcdManifest, schedulerManifest, type PodManifest } from '../../manifests.js';
import { checkManifestsDir, checkNodeName, checkTargetVersion, reportPreflight, type PreflightResult } from '../shared.js';
import { clusterConfig, isControlPlane, manifestInput, type JoinData } from './data.js';

async function preflight(d: JoinData): Promise<void> {
  d.out.phase('preflight', 'Running pre-flight checks');
  const results: PreflightResult[] = [...checkNodeName(d.cfg.nodeRegistration.name)];
  if (d.fs.exists(`${C.KUBERNETES_DIR}/${C.KUBELET_CONF}`)) results.push({ name: 'FileAvailable--etc-kubernetes-kubelet.conf', message: `${C.KUBERNETES_DIR}/${C.KUBELET_CONF} already exists` });
  if (isControlPlane(d)) results.push(...checkManifestsDir(d.fs));
  reportPreflight(d.out, results, d.ignorePreflightErrors);
  // The target version is the cluster's (kubeadm-config), as kubeadm join reads it; a control plane also checks the
  // flags of the static Pods it is about to write, so a rollout to a new minor never writes a flag that minor dropped.
  const cfg = await clusterConfig(d);
  // The JoinConfiguration's API version, judged by the kubeadm of the release the node joins (1.37 refuses v1beta3).
  const api = checkConfigAPIVersion(d.cfg.configAPIVersion, d.cfg.configAPIKind, cfg.kubernetesVersion);
  if (api.error) throw new Error(api.error);
  if (api.warning) d.out.warn('config', api.warning);
  if (isControlPlane(d) && !cfg.controlPlaneEndpoint) {
    throw new Error('join: unable to add a new control plane instance to a cluster that doesn\'t have a stable controlPlaneEndpoint address');
  }
  let manifests: PodManifest[] = [];
  if (isControlPlane(d)) {
    const mi = await manifestInput(d);
    manifests = [apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi), ...(cfg.etcd.local ? [etcdManifest(mi)] : [])];
  }
  reportPreflight(d.out, checkTargetVersion(cfg.kubernetesVersion, manifests), d.ignorePreflightErrors);
}

export const preflightPhase = (): Phase<JoinData> => ({ name: 'preflight', short: 'Run join pre-flight checks', run: preflight });
