/**
 * join's etcd-join phase (kubeadm 1.35+ runs it between kubelet-start and kubelet-wait-bootstrap): this node joins the
 * stacked etcd cluster through the etcd API of the existing members, as kubeadm does since EtcdLearnerMode (GA in
 * 1.32): a learner first (it takes no part in quorum while it replicates the log), then, once its etcd is started and
 * in sync with the leader, promoted to a voting member (bootstrap/etcd/join.ts).
 */
import type { Phase } from '../../workflow.js';
import { etcdManifest, etcdPeerURL } from '../../manifests.js';
import { joinStackedEtcd } from '../../etcd/join.js';
import { writeManifest } from '../shared.js';
import { adminClient, clusterConfig, cpEndpoint, cpOnly, manifestInput, type JoinData } from './data.js';

async function joinEtcd(d: JoinData): Promise<void> {
  const cfg = await clusterConfig(d);
  if (!cfg.etcd.local) {
    d.out.phase('etcd', 'External etcd mode: skipping the local etcd member');
    return;
  }
  const mi = await manifestInput(d);
  await joinStackedEtcd({
    fs: d.fs, out: d.out, client: adminClient(d), certificatesDir: cfg.certificatesDir,
    self: { name: d.cfg.nodeRegistration.name, peerURL: etcdPeerURL(cpEndpoint(d).advertiseAddress) },
    timeouts: d.cfg.timeouts,
    writeManifest: (members) => writeManifest(d.fs, d.out, 'etcd', etcdManifest(mi, members)),
  });
}

export const etcdJoinPhase = (): Phase<JoinData> => ({
  name: 'etcd-join', short: 'Join etcd for control plane nodes',
  run: cpOnly(async (d) => (d.dryRun ? d.out.phase('dryrun', 'Would add a local etcd member') : joinEtcd(d))),
});
