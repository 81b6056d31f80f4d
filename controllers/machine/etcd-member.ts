/**
 * A deleted control-plane Machine's etcd member, decided here and acted on by the reconciler (condition and Event):
 * removed through the etcd API before the Node and the machine go (controllers/shared/etcd-members.ts), matched by the
 * node's name or the machine's peer URL (https://<InternalIP>:2380, kubeadm's stacked etcd).
 */
import type { Machine } from '../../api/v1alpha1/index.js';
import { hexID } from '../../bootstrap/etcd/membership.js';
import { etcdPeerURL } from '../../bootstrap/manifests.js';
import type { CertAndKey } from '../../lib/pki.js';
import type { Client } from '../../runtime/client.js';
import { removeEtcdMemberOfNode } from '../shared/etcd-members.js';

export interface EtcdMemberOutcome {
  /** false: the deletion waits and tries again (the member may still vote). */
  done: boolean;
  condition: { type: 'EtcdMemberRemoved'; status: 'True' | 'False'; reason: string; message?: string };
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

/** The peer URL kubeadm's stacked etcd gives the machine: https://<its InternalIP>:2380. */
export function etcdPeerURLOf(m: Machine): string | undefined {
  const ip = m.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  return ip ? etcdPeerURL(ip) : undefined;
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Removes the member of the machine's Node. A failure is not done: a machine gone with its member still voting leaves
 * etcd one failure from losing quorum. etcdCA is the <cluster>-etcd Secret's pair (undefined or keyless: a failure).
 */
export async function removeMachineEtcdMember(wc: Client, machine: Machine, nodeName: string, etcdCA: CertAndKey | undefined, etcdSecret: string): Promise<EtcdMemberOutcome> {
  try {
    if (!etcdCA?.keyPem) throw new Error(`the etcd CA Secret ${etcdSecret} (with its key) is needed to sign an etcd client certificate`);
    const peerURL = etcdPeerURLOf(machine);
    const r = await removeEtcdMemberOfNode(wc, nodeName, etcdCA, peerURL ? { peerURL } : {});
    const reason = r.result === 'removed' ? 'EtcdMemberRemoved' : r.result === 'absent' ? 'EtcdMemberAbsent' : 'EtcdLastMember';
    return {
      done: true, condition: { type: 'EtcdMemberRemoved', status: 'True', reason },
      ...(r.result === 'removed' ? { event: { type: 'Normal', reason: 'EtcdMemberRemoved', message: `removed etcd member ${nodeName} (${hexID(r.id)}) through the etcd API` } } : {}),
    } as EtcdMemberOutcome;
  } catch (err) {
    const message = `could not remove etcd member ${nodeName}: ${errText(err)}`;
    return { done: false, condition: { type: 'EtcdMemberRemoved', status: 'False', reason: 'EtcdMemberRemovalFailed', message }, event: { type: 'Warning', reason: 'EtcdMemberRemovalFailed', message } };
  }
}

/**
 * A control-plane Machine whose Node never registered may still have been added to etcd as a learner (a join that
 * failed after etcd-join's first step): found by its peer URL and removed, since etcd takes one learner at a time and
 * an orphan would block every later join. Best effort, one short try: a machine that never joined is never held up
 * (undefined: nothing to report; the reason goes to the log).
 */
export async function removeUnjoinedEtcdMember(wc: () => Promise<Client>, machine: Machine, etcdCA: CertAndKey | undefined): Promise<{ event?: EtcdMemberOutcome['event']; skipped?: string }> {
  const peerURL = etcdPeerURLOf(machine);
  if (!peerURL || !etcdCA?.keyPem) return {};
  try {
    const r = await removeEtcdMemberOfNode(await wc(), '', etcdCA, { peerURL, timeoutMs: 1000 });
    return r.result === 'removed' ? { event: { type: 'Normal', reason: 'EtcdMemberRemoved', message: `removed etcd member ${hexID(r.id)} (${peerURL}), which never joined, through the etcd API` } } : {};
  } catch (err) {
    return { skipped: errText(err) };
  }
}
