/** join's kubelet-start phase (the kubelet's files) and kubelet-wait-bootstrap (the TLS bootstrap that gives it its credentials). */
import type { Phase } from '../../workflow.js';
import { kubeletTLSBootstrap } from '../../tlsbootstrap.js';
import { localURL } from '../../kubeconfigs.js';
import { dumpYaml, kubeletConfiguration, waitForAPIServer, writeKubeletFiles } from '../shared.js';
import { clusterConfig, cpEndpoint, discover, isControlPlane, tlsBootstrapToken, type JoinData } from './data.js';

async function kubeletStart(d: JoinData): Promise<void> {
  const info = await discover(d);
  const cfg = await clusterConfig(d);
  const caPath = d.cfg.caCertPath;
  if (!d.fs.exists(caPath)) d.fs.write(caPath, info.caPem, 0o644);
  writeKubeletFiles(d.fs, d.out, d.kubeletConfigYaml ?? dumpYaml(kubeletConfiguration(cfg, {})), d.cfg.nodeRegistration, { registerTaints: !isControlPlane(d) });
  if (d.dryRun) {
    d.out.phase('dryrun', 'Would write bootstrap-kubelet.conf and start the kubelet');
    return;
  }
  d.out.phase('kubelet-start', 'Starting the kubelet');
}

/**
 * kubeadm's kubelet-wait-bootstrap: the TLS bootstrap, after etcd-join on a control plane, since its kubelet talks to
 * its own API server, which cannot serve before the node's etcd member has joined.
 */
async function kubeletWaitBootstrap(d: JoinData): Promise<void> {
  const info = await discover(d);
  const cfg = await clusterConfig(d);
  if (d.dryRun) {
    d.out.phase('dryrun', 'Would perform the TLS bootstrap');
    return;
  }
  // ControlPlaneKubeletLocalMode (GA in 1.35): a control plane's kubelet talks to its own API server, not the load
  // balancer, so it never depends on a member of another minor during an upgrade. Its static Pods are already written.
  let server = info.server;
  if (isControlPlane(d)) {
    server = localURL(cpEndpoint(d));
    await waitForAPIServer(d.out, server, info.caPem, d.cfg.timeouts.tlsBootstrap);
  }
  await kubeletTLSBootstrap({
    fs: d.fs, out: d.out, server, caPem: info.caPem, clusterName: cfg.clusterName, token: tlsBootstrapToken(d),
    nodeName: d.cfg.nodeRegistration.name, timeoutMs: d.cfg.timeouts.tlsBootstrap,
  });
}

export const kubeletStartPhase = (): Phase<JoinData> => ({ name: 'kubelet-start', short: 'Write kubelet settings and (re)start the kubelet', run: kubeletStart });

export const kubeletWaitBootstrapPhase = (): Phase<JoinData> => ({ name: 'kubelet-wait-bootstrap', short: 'Wait for the kubelet to bootstrap itself', run: kubeletWaitBootstrap });
