/**
 * Stacked etcd membership changes as kubeadm's app/util/etcd makes them (AddMemberAsLearner, MemberPromote,
 * RemoveMember): each is retried every 500 ms (EtcdAPICallRetryInterval) until the etcdAPICall timeout, and each is
 * idempotent, so a join or a deletion that is run again after a crash picks up where it stopped.
 */
import { EtcdClient, EtcdMessages, isEtcdError, isStarted, type EtcdMember } from './client.js';

export const ETCD_API_RETRY_INTERVAL_MS = 500;

/** A member ID as etcd prints it (etcdctl, etcd's logs and kubeadm's messages: hexadecimal). */
export const hexID = (id: string): string => BigInt(id).toString(16);

export interface RetryOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called once per state change worth telling the user about. */
  progress?: (message: string) => void;
}

/** An answer no retry will change (poll gives up at once). */
export class PermanentEtcdError extends Error {}

async function poll<T>(what: string, o: RetryOptions, attempt: () => Promise<{ done: true; value: T } | { done: false; why: string }>): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let last = '';
  for (;;) {
    try {
      const r = await attempt();
      if (r.done) return r.value;
      if (r.why !== last) o.progress?.(r.why);
      last = r.why;
    } catch (err) {
      if (err instanceof PermanentEtcdError) throw err;
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`${what} within ${Math.round(o.timeoutMs / 1000)}s: ${last}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? ETCD_API_RETRY_INTERVAL_MS));
  }
}

const byPeerURL = (members: EtcdMember[], peerURL: string): EtcdMember | undefined => members.find((m) => m.peerURLs[0] === peerURL);

/**
 * Adds peerURL as a learner, or finds the member that already has it (a join run again): the member, and every member
 * of the cluster after the change.
 */
export async function addLearner(client: EtcdClient, peerURL: string, o: RetryOptions): Promise<{ member: EtcdMember; members: EtcdMember[]; added: boolean }> {
  return poll<{ member: EtcdMember; members: EtcdMember[]; added: boolean }>(`etcd: could not add the learner ${peerURL}`, o, async () => {
    const members = await client.memberList();
    const existing = byPeerURL(members, peerURL);
    if (existing) return { done: true, value: { member: existing, members, added: false } };
    try {
      const res = await client.memberAdd([peerURL], true);
      return { done: true, value: { member: res.member, members: res.members, added: true } };
    } catch (err) {
      if (!isEtcdError(err, EtcdMessages.peerURLExists) && !isEtcdError(err, EtcdMessages.memberIDExists)) throw err;
      const now = await client.memberList();
      const m = byPeerURL(now, peerURL);
      if (!m) throw err;
      return { done: true, value: { member: m, members: now, added: false } };
    }
  });
}

/**
 * --initial-cluster for a joining member: every member of the cluster by name, the joining one under its own name (it
 * has none in etcd until it starts), and a member that never started under its hexadecimal ID, as kubeadm does.
 */
export function initialCluster(members: EtcdMember[], self: { name: string; peerURL: string }): { name: string; peerURL: string }[] {
  return members.map((m) => ({
    name: m.peerURLs[0] === self.peerURL ? self.name : m.name || hexID(m.ID),
    peerURL: m.peerURLs[0] ?? '',
  }));
}

/**
 * Waits for the learner to start, then promotes it, retrying while etcd answers that it is not in sync with the
 * leader yet. A learner that never catches up is an error naming etcd's last answer; it stays a learner.
 */
export async function promoteLearner(client: EtcdClient, id: string, o: RetryOptions): Promise<EtcdMember[]> {
  const hex = hexID(id);
  const find = async (): Promise<{ m: EtcdMember; members: EtcdMember[] }> => {
    const members = await client.memberList();
    const m = members.find((x) => x.ID === id);
    if (!m) throw new Error(`the etcd member ${hex} is not in the cluster any more`);
    return { m, members };
  };
  const deadline = Date.now() + o.timeoutMs;
  await poll(`etcd: the learner ${hex} did not start`, o, async () => {
    const { m } = await find();
    return !m.isLearner || isStarted(m) ? { done: true, value: undefined } : { done: false, why: `the etcd member ${hex} is not started` };
  });
  return poll(`etcd: the learner ${hex} was not promoted (it did not catch up with the leader)`, { ...o, timeoutMs: Math.max(0, deadline - Date.now()) }, async () => {
    const { m, members } = await find();
    if (!m.isLearner) return { done: true, value: members };
    try {
      return { done: true, value: await client.memberPromote(id) };
    } catch (err) {
      if (isEtcdError(err, EtcdMessages.learnerNotReady)) return { done: false, why: `${EtcdMessages.learnerNotReady} (member ${hex})` };
      throw err;
    }
  });
}

/** Which member: a node's member carries the node's name once started; an added member that never started has only its peer URL. */
export interface MemberMatch {
  name?: string;
  peerURL?: string;
}

const matches = (m: EtcdMember, w: MemberMatch): boolean => (!!w.name && m.name === w.name) || (!!w.peerURL && m.peerURLs[0] === w.peerURL);

/**
 * Removes the member matching `w` (by name, or by peer URL for a learner that never started). Returns the removed
 * member, or undefined when there was none (already removed: done). Refuses to remove the last voting member.
 */
export async function removeMember(client: EtcdClient, w: MemberMatch, o: RetryOptions): Promise<EtcdMember | undefined> {
  const what = w.name ?? w.peerURL ?? '?';
  return poll(`etcd: could not remove the member ${what}`, o, async () => {
    const members = await client.memberList();
    const m = members.find((x) => matches(x, w));
    if (!m) return { done: true, value: undefined };
    if (!m.isLearner && members.filter((x) => !x.isLearner).length === 1) throw new PermanentEtcdError(`etcd: refusing to remove ${what}, the last voting etcd member`);
    if (!m.isLearner) await handOverLeadership(client, m, members, o);
    try {
      await client.memberRemove(m.ID);
    } catch (err) {
      if (!isEtcdError(err, EtcdMessages.memberNotFound)) throw err;
    }
    return { done: true, value: m };
  });
}

/** removeMember by the node's name. */
export const removeMemberByName = (client: EtcdClient, name: string, o: RetryOptions): Promise<EtcdMember | undefined> => removeMember(client, { name }, o);

/**
 * Before a voting member goes: if it leads, it hands leadership to another started voting member first (as Cluster
 * API's ForwardEtcdLeadership does), so the cluster does not sit through an election with no leader. Best effort:
 * etcd elects a new leader by itself if this fails.
 */
async function handOverLeadership(client: EtcdClient, m: EtcdMember, members: EtcdMember[], o: RetryOptions): Promise<void> {
  try {
    const leader = (await client.status(client.endpoints[0]!)).leader;
    if (leader !== m.ID) return;
    const target = members.find((x) => x.ID !== m.ID && !x.isLearner && isStarted(x));
    const at = m.clientURLs[0];
    if (!target || !at) return;
    await client.moveLeader(at, target.ID);
    o.progress?.(`etcd leadership moved from ${m.name || hexID(m.ID)} to ${target.name || hexID(target.ID)}`);
  } catch (err) {
    o.progress?.(`etcd leadership not moved before removing ${m.name || hexID(m.ID)}: ${(err as Error).message}`);
  }
}
