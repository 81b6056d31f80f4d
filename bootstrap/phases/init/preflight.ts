/** init's preflight phase: kubeadm's checks of the node name, the manifests directory, the target version and the ports. */
import { createServer } from 'node:net';
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { apiServerManifest, controllerManagerManifest, etcdManifest, schedulerManifest } from '../../manifests.js';
import { onHost } from '../../host.js';
import { checkManifestsDir, checkNodeName, checkTargetVersion, reportPreflight, type PreflightResult } from '../shared.js';
import { manifestInput, type InitData } from './data.js';

async function portFree(host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

async function preflight(d: InitData): Promise<void> {
  d.out.phase('preflight', 'Running pre-flight checks');
  for (const w of d.cfg.cluster.warnings ?? []) d.out.warn('config', w);
  const results: PreflightResult[] = [...checkNodeName(d.cfg.nodeRegistration.name), ...checkManifestsDir(d.fs)];
  const version = d.cfg.cluster.kubernetesVersion;
  const mi = manifestInput(d);
  const manifests = [apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi), ...(d.cfg.cluster.etcd.local ? [etcdManifest(mi)] : [])];
  results.push(...checkTargetVersion(version, manifests));
  const ports = [d.cfg.localAPIEndpoint.bindPort, C.KUBE_CONTROLLER_MANAGER_PORT, C.KUBE_SCHEDULER_PORT, C.KUBELET_PORT, ...(d.cfg.cluster.etcd.local ? [C.ETCD_CLIENT_PORT, C.ETCD_PEER_PORT] : [])];
  for (const p of ports) {
    const host = p === d.cfg.localAPIEndpoint.bindPort || p >= C.ETCD_CLIENT_PORT && p <= C.ETCD_PEER_PORT ? d.cfg.localAPIEndpoint.advertiseAddress : onHost(d.host, '127.0.0.1');
    if (!(await portFree(host, p))) results.push({ name: `Port-${p}`, message: `Port ${p} is in use` });
  }
  reportPreflight(d.out, results, d.ignorePreflightErrors);
}

export const preflightPhase = (): Phase<InitData> => ({ name: 'preflight', short: 'Run pre-flight checks', run: preflight });
