// The etcd membership client against three real etcd processes on 127.37.0.1-3 (a range no other test uses), over
// mutual TLS with certificates from lib/pki.ts: add a learner, start it, promote it once it is in sync, list three
// started voting members, remove one; each step run twice is a no-op, and a certificate of another CA is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdClient, EtcdError, EtcdMessages, isStarted } from '../../bootstrap/etcd/client.js';
import { addLearner, hexID, initialCluster, promoteLearner, removeMember, removeMemberByName } from '../../bootstrap/etcd/membership.js';
import { newSelfSignedCA, signCert } from '../../lib/pki.js';
import { EtcdMembers } from '../support/etcd-members.js';
import { eventually } from '../support/eventually.js';

const ADDR = ['127.37.0.1', '127.37.0.2', '127.37.0.3'] as const;
const names = ['cp-0', 'cp-1', 'cp-2'] as const;

test('stacked etcd membership on real etcd: learner add, start, promote, list, remove; idempotent; TLS enforced', { timeout: 120_000 }, async (t) => {
  const etcd = new EtcdMembers();
  t.after(() => etcd.close());
  const cert = etcd.client();
  const tls = { caPem: etcd.ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem };
  const t0 = Date.now();
  const o = { timeoutMs: 30_000, progress: (m: string) => t.diagnostic(`${Date.now() - t0} ms: ${m}`) };
  etcd.start('cp-0', ADDR[0], `cp-0=${EtcdMembers.peerURL(ADDR[0])}`, 'new');
  const c = new EtcdClient([EtcdMembers.clientURL(ADDR[0])], tls);
  const first = await eventually('the first member answers', () => c.memberList(), 30_000, 200).catch((err: Error) => assert.fail(`${err.message}\n${etcd.logs()}`));
  assert.equal(first.length, 1);
  assert.equal(first[0]!.name, 'cp-0');
  assert.match(first[0]!.ID, /^\d+$/, 'a uint64 ID stays a decimal string');
  assert.equal(first[0]!.isLearner, false);
  const status = await c.status(EtcdMembers.clientURL(ADDR[0]));
  assert.equal(status.leader, first[0]!.ID);
  assert.match(status.version, /^3\.7\./);

  for (const i of [1, 2]) {
    const peer = EtcdMembers.peerURL(ADDR[i]);
    const added = await addLearner(c, peer, o);
    assert.equal(added.added, true);
    assert.equal(added.member.isLearner, true);
    assert.equal(isStarted(added.member), false, 'a learner not started yet has no name');
    // run again (a join retried after a crash): the same member, nothing added
    const again = await addLearner(c, peer, o);
    assert.equal(again.added, false);
    assert.equal(again.member.ID, added.member.ID);
    assert.equal(again.members.length, i + 1);
    // etcd itself refuses a second member with that peer URL
    await assert.rejects(c.memberAdd([peer], true), (err) => err instanceof EtcdError && [EtcdMessages.peerURLExists, EtcdMessages.memberIDExists].includes(err.etcdMessage as never));
    const ic = initialCluster(again.members, { name: names[i], peerURL: peer });
    assert.deepEqual(ic.map((m) => m.name).sort(), names.slice(0, i + 1));
    etcd.start(names[i], ADDR[i], ic.map((m) => `${m.name}=${m.peerURL}`).join(','), 'existing');
    const members = await promoteLearner(c, added.member.ID, o).catch((err: Error) => assert.fail(`${err.message}\n${etcd.logs()}`));
    assert.equal(members.find((m) => m.ID === added.member.ID)?.isLearner, false);
    // promoting a voting member again is a no-op here, an error in etcd
    await promoteLearner(c, added.member.ID, o);
    await assert.rejects(c.memberPromote(added.member.ID), (err) => err instanceof EtcdError && err.etcdMessage === EtcdMessages.memberNotLearner);
  }

  // every endpoint answers the same list: three started voting members
  const all = new EtcdClient(ADDR.map((a) => EtcdMembers.clientURL(a)), tls);
  for (const a of ADDR) {
    const list = await new EtcdClient([EtcdMembers.clientURL(a)], tls).memberList();
    assert.deepEqual(list.map((m) => [m.name, m.isLearner, m.clientURLs]).sort(), names.map((n, i) => [n, false, [EtcdMembers.clientURL(ADDR[i])]]));
  }

  // make cp-2 the leader, then remove it through another member: it hands leadership over first, then it is gone
  const ids = Object.fromEntries((await all.memberList()).map((m) => [m.name, m.ID]));
  const leaderURL = async (): Promise<string> => {
    const leader = (await c.status(EtcdMembers.clientURL(ADDR[0]))).leader;
    return EtcdMembers.clientURL(ADDR[names.findIndex((n) => ids[n] === leader)]!);
  };
  if ((await c.status(EtcdMembers.clientURL(ADDR[0]))).leader !== ids['cp-2']) await c.moveLeader(await leaderURL(), ids['cp-2']!);
  assert.equal((await c.status(EtcdMembers.clientURL(ADDR[0]))).leader, ids['cp-2']);
  await assert.rejects(c.moveLeader(EtcdMembers.clientURL(ADDR[0]), ids['cp-1']!), /not leader/);
  const said: string[] = [];
  const removed = await removeMemberByName(new EtcdClient([EtcdMembers.clientURL(ADDR[0])], tls), 'cp-2', { ...o, progress: (m) => said.push(m) });
  assert.match(said.join('\n'), /etcd leadership moved from cp-2 to cp-[01]/);
  assert.ok([ids['cp-0'], ids['cp-1']].includes((await c.status(EtcdMembers.clientURL(ADDR[0]))).leader));
  assert.equal(removed?.name, 'cp-2');
  assert.deepEqual((await all.memberList()).map((m) => m.name).sort(), ['cp-0', 'cp-1']);
  assert.equal(await removeMemberByName(all, 'cp-2', o), undefined, 'already gone: done');
  await assert.rejects(c.memberRemove(removed.ID), (err) => err instanceof EtcdError && err.etcdMessage === EtcdMessages.memberNotFound);
  assert.equal(hexID('18446744073709551615'), 'ffffffffffffffff');

  // a learner that never starts is never promoted: a clear error, and it stays a learner
  const ghost = await addLearner(c, EtcdMembers.peerURL('127.37.0.9'), o);
  await assert.rejects(promoteLearner(c, ghost.member.ID, { timeoutMs: 2000 }), new RegExp(`etcd: the learner ${hexID(ghost.member.ID)} did not start within 2s: the etcd member ${hexID(ghost.member.ID)} is not started`));
  assert.equal((await c.memberList()).find((m) => m.ID === ghost.member.ID)?.isLearner, true);
  // etcd takes one learner at a time (--max-learners=1): a second join waits, retrying, until the first is promoted
  await assert.rejects(addLearner(c, EtcdMembers.peerURL('127.37.0.8'), { timeoutMs: 1000 }), new RegExp(EtcdMessages.tooManyLearners));
  // the learner that never started is found by its peer URL (it has no name) and removed
  assert.equal((await removeMember(c, { peerURL: EtcdMembers.peerURL('127.37.0.9') }, o))?.ID, ghost.member.ID);
  await assert.rejects(c.memberRemove(ghost.member.ID), /member not found/);

  // the last voting member is never removed
  await removeMemberByName(c, 'cp-1', o);
  await assert.rejects(removeMemberByName(c, 'cp-0', o), /refusing to remove cp-0, the last voting etcd member/);

  // mutual TLS: a client certificate of another CA is refused, and so is a server the CA did not sign
  const other = newSelfSignedCA('other');
  const stranger = signCert({ commonName: 'stranger', usages: ['client'] }, other);
  await assert.rejects(new EtcdClient([EtcdMembers.clientURL(ADDR[0])], { ...tls, certPem: stranger.certPem, keyPem: stranger.keyPem }).memberList(), /no endpoint answered/);
  await assert.rejects(new EtcdClient([EtcdMembers.clientURL(ADDR[0])], { ...tls, caPem: other.certPem }).memberList(), /self-signed|unable to verify|certificate/i);
});
