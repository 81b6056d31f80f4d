/** init's bootstrap-token phase: the tokens, their RBAC, and the signed cluster-info ConfigMap discovery reads. */
import type { Phase } from '../../workflow.js';
import { controlPlaneURL } from '../../kubeconfigs.js';
import { bootstrapClusterRoles, bootstrapTokenRBAC, clusterInfoConfigMap, clusterInfoKubeconfig, clusterInfoRBAC } from '../../api/objects.js';
import { bootstrapTokenSecret, computeJWS, parseBootstrapToken } from '../../tokens.js';
import { writer, type InitData } from './data.js';

async function bootstrapTokens(d: InitData): Promise<void> {
  const w = await writer(d);
  d.out.phase('bootstrap-token', 'Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles');
  const signatures: Record<string, string> = {};
  const caPem = d.fs.read(`${d.cfg.cluster.certificatesDir}/ca.crt`);
  const kubeconfig = clusterInfoKubeconfig(controlPlaneURL(d.cfg.cluster, d.cfg.localAPIEndpoint), caPem);
  for (const t of d.cfg.bootstrapTokens) {
    await w.apply(bootstrapTokenSecret(t.token, {
      description: t.description, ttlSeconds: t.ttlSeconds, usages: t.usages, groups: t.groups,
      ...(t.expires ? { expires: new Date(t.expires) } : {}),
    }));
    if (t.usages.includes('signing')) {
      const { id, secret } = parseBootstrapToken(t.token);
      // kube-controller-manager's bootstrapsigner would add this; clusterd has none, so init signs directly
      signatures[id] = computeJWS(kubeconfig, id, secret);
    }
  }
  for (const o of bootstrapClusterRoles()) await w.ensure(o);
  d.out.phase('bootstrap-token', 'Configured RBAC rules to allow Node Bootstrap tokens to get nodes');
  d.out.phase('bootstrap-token', 'Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials');
  d.out.phase('bootstrap-token', 'Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token');
  d.out.phase('bootstrap-token', 'Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster');
  for (const o of bootstrapTokenRBAC()) await w.apply(o);
  d.out.phase('bootstrap-token', 'Creating the "cluster-info" ConfigMap in the "kube-public" namespace');
  await w.apply(clusterInfoConfigMap(kubeconfig, signatures));
  for (const o of clusterInfoRBAC()) await w.apply(o);
}

export const bootstrapTokenPhase = (): Phase<InitData> => ({ name: 'bootstrap-token', short: 'Generates bootstrap tokens used to join a node to a cluster', run: bootstrapTokens });
