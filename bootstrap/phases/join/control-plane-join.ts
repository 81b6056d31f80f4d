/** join's control-plane-join phase: this member's etcd, the wait for its components, and the control-plane mark. */
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { type ClusterClient, describeApiError, isNotFound, isConflict } from '../../api/client.js';
import {
  apiServerManifest, componentCommand, controllerManagerManifest, etcdManifest, etcdPeerURL, membersFromInitialCluster, schedulerManifest,
  type PodManifest,
} from '../../manifests.js';
import { joinHostPort } from '../../netutil.js';
import { onHost } from '../../host.js';
import { httpGetJSON } from '../../discovery.js';
import { etcdMembersConfigMap } from '../../api/objects.js';
import { controlPlaneHealthChecks, markControlPlane, waitForControlPlaneComponents, writeManifest } from '../shared.js';
import { adminClient, clusterConfig, cpEndpoint, cpOnly, discover, manifestInput, type JoinData } from './data.js';

/**
 * Adds this node to the stacked etcd cluster as kubeadm does since EtcdLearnerMode (GA in 1.32): as a learner first
 * (it takes no part in quorum while it replicates the log), then, once its etcd reports healthy, promoted to a voting
 * member. With no etcd API to call, the membership lives in clusterd's kube-system/clusterd-etcd-members ConfigMap
 * (`members` voting, `learners` not yet): both steps are compare-and-swap updates on its resourceVersion.
 */
async function joinEtcd(d: JoinData): Promise<void> {
  const cfg = await clusterConfig(d);
  if (!cfg.etcd.local) {
    d.out.phase('etcd', 'External etcd mode: skipping the local etcd member');
    return;
  }
  const mi = await manifestInput(d);
  const self = { name: d.cfg.nodeRegistration.name, peerURL: etcdPeerURL(cpEndpoint(d).advertiseAddress) };
  const client = adminClient(d);
  let manifest: PodManifest | undefined;
  await updateEtcdMembers(client, (members, learners) => {
    if (members.length === 0) throw new Error(`etcd: no existing etcd members are recorded in kube-system/${C.ETCD_MEMBERS_CONFIGMAP}; was the first control plane initialised by clusterd with local etcd?`);
    d.out.phase('etcd', `Adding etcd member as learner: ${self.peerURL} (existing members: ${members.map((m) => m.name).join(', ')})`);
    const others = learners.filter((m) => m.name !== self.name);
    manifest = etcdManifest(mi, [...members.filter((m) => m.name !== self.name), ...others]);
    return { members: members.filter((m) => m.name !== self.name), learners: [...others, self] };
  });
  writeManifest(d.fs, d.out, 'etcd', manifest!);
  await promoteLearner(d, client, self.name, manifest!);
}

type Member = { name: string; peerURL: string };

/** A compare-and-swap update of the membership record, retried on conflicts. */
async function updateEtcdMembers(client: ClusterClient, change: (members: Member[], learners: Member[]) => { members: Member[]; learners: Member[] }): Promise<void> {
  const list = (ms: Member[]): string => ms.map((m) => `${m.name}=${m.peerURL}`).join(',');
  for (let attempt = 0; ; attempt++) {
    let members: Member[] = [];
    let learners: Member[] = [];
    let resourceVersion: string | undefined;
    try {
      const cm = await client.core.readNamespacedConfigMap({ name: C.ETCD_MEMBERS_CONFIGMAP, namespace: 'kube-system' });
      members = membersFromInitialCluster(cm.data?.members ?? '');
      learners = membersFromInitialCluster(cm.data?.learners ?? '');
      resourceVersion = cm.metadata?.resourceVersion;
    } catch (err) {
      if (!isNotFound(err)) throw describeApiError(err, 'etcd: reading the etcd member list');
    }
    const next = change(members, learners);
    const body = etcdMembersConfigMap(list(next.members), list(next.learners));
    try {
      if (resourceVersion) {
        body.metadata = { ...body.metadata, resourceVersion };
        await client.core.replaceNamespacedConfigMap({ name: C.ETCD_MEMBERS_CONFIGMAP, namespace: 'kube-system', body });
      } else {
        await client.core.createNamespacedConfigMap({ namespace: 'kube-system', body });
      }
      return;
    } catch (err) {
      if (isConflict(err) && attempt < 10) continue;
      throw describeApiError(err, 'etcd: recording the etcd membership');
    }
  }
}

/**
 * Waits until the new member reports healthy on its metrics listener (the endpoint its own probes use: a learner that
 * has caught up with the leader), then records it as a voting member.
 */
async function promoteLearner(d: JoinData, client: ClusterClient, name: string, manifest: PodManifest): Promise<void> {
  const metrics = componentCommand(manifest).find((a) => a.startsWith('--listen-metrics-urls='))?.slice('--listen-metrics-urls='.length).split(',')[0]
    ?? `http://127.0.0.1:${C.ETCD_METRICS_PORT}`;
  const u = new URL(metrics);
  const url = `${u.protocol}//${joinHostPort(onHost(d.host, u.hostname.replace(/^\[|\]$/g, '')), Number(u.port || C.ETCD_METRICS_PORT))}/health?exclude=NOSPACE&serializable=true`;
  d.out.phase('etcd', `Waiting for the new etcd member to catch up with the leader (${url})`);
  const deadline = Date.now() + d.cfg.timeouts.controlPlaneComponentHealthCheck;
  let last = '';
  for (;;) {
    try {
      const res = await httpGetJSON(url, 5000);
      if (res.status === 200 && (res.body as { health?: string }).health === 'true') break;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`etcd: the learner ${name} did not catch up within ${Math.round(d.cfg.timeouts.controlPlaneComponentHealthCheck / 1000)}s (${url}: ${last}); it stays a learner`);
    await new Promise((r) => setTimeout(r, 500));
  }
  d.out.phase('etcd', `Promoting the learner ${name} to a voting member`);
  await updateEtcdMembers(client, (members, learners) => {
    const me = learners.find((m) => m.name === name) ?? members.find((m) => m.name === name);
    if (!me) throw new Error(`etcd: the learner ${name} is no longer in the membership record`);
    return { members: [...members.filter((m) => m.name !== name), me], learners: learners.filter((m) => m.name !== name) };
  });
  d.out.phase('etcd', 'The learner was promoted as a voting member');
}

export const controlPlaneJoinPhase = (): Phase<JoinData> => ({
  name: 'control-plane-join', short: 'Join a machine as a control plane instance',
  phases: [
    { name: 'etcd', short: 'Add a new local etcd member', run: cpOnly(async (d) => (d.dryRun ? d.out.phase('dryrun', 'Would add a local etcd member') : joinEtcd(d))) },
    {
      name: 'wait-control-plane', short: 'Wait for the new control plane instance to start',
      run: cpOnly(async (d) => {
        if (d.dryRun) return d.out.phase('dryrun', 'Would wait for the control plane components to be healthy');
        const mi = await manifestInput(d);
        const checks = controlPlaneHealthChecks([apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi)], cpEndpoint(d),
          (await discover(d)).caPem, d.host);
        await waitForControlPlaneComponents(d.out, checks, d.cfg.timeouts.controlPlaneComponentHealthCheck);
      }),
    },
    {
      name: 'mark-control-plane', short: 'Mark a node as a control-plane',
      run: cpOnly(async (d) => d.dryRun ? d.out.phase('dryrun', 'Would label and taint the Node') : markControlPlane(adminClient(d), d.out, d.cfg.nodeRegistration.name, d.cfg.nodeRegistration.taints, d.cfg.timeouts.kubernetesAPICall)),
    },
  ],
});
