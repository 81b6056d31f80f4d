/** What every init phase reads and writes (kubeadm's InitData), and the accessors the phases share. */
import type { V1ClusterRoleBinding } from '@kubernetes/client-node';
import * as C from '../../constants.js';
import type { InitConfiguration } from '../../config/types.js';
import type { HostFS, Printer } from '../../context.js';
import { isExternalCA } from '../../certs.js';
import type { ManifestInput } from '../../manifests.js';
import { ClusterClient, describeApiError, isForbidden, statusCode, type ObjectWriter, DryRunWriter } from '../../api/client.js';
import { clusterAdminsBinding } from '../../api/objects.js';
import type { HostFacts } from '../../host.js';

export interface InitData {
  fs: HostFS;
  out: Printer;
  dryRun: boolean;
  cfg: InitConfiguration;
  ignorePreflightErrors: Set<string>;
  uploadCerts: boolean;
  /** TTL of the proxy token that owns kubeadm-certs, seconds. */
  certificateTokenTTLSeconds: number;
  /** Filled in by upload-certs when not given. */
  certificateKey?: string;
  /** Lazily created from admin.conf once its ClusterRoleBinding exists; a DryRunWriter in dry-run. */
  clientCache?: ClusterClient;
  /** The machine it runs on (its loopback, for the components bound to 127.0.0.1). */
  host?: HostFacts;
}

/**
 * The admin.conf client, after making sure its group is bound to cluster-admin (kubeadm's
 * EnsureAdminClusterRoleBinding): admin.conf tries to create kubeadm:cluster-admins itself; Forbidden means the binding
 * is not there yet, and super-admin.conf (system:masters) creates it. AlreadyExists means admin.conf already works.
 */
export async function client(d: InitData): Promise<ClusterClient> {
  if (d.clientCache) return d.clientCache;
  const read = (file: string): string | undefined => d.fs.readIfExists(`${C.KUBERNETES_DIR}/${file}`);
  const admin = read(C.ADMIN_CONF);
  if (!admin) throw new Error(`${C.KUBERNETES_DIR}/${C.ADMIN_CONF} is missing; run the kubeconfig phase first`);
  const adminClient = ClusterClient.fromKubeconfig(admin);
  const binding = clusterAdminsBinding();
  const deadline = Date.now() + d.cfg.timeouts.kubernetesAPICall;
  for (;;) {
    try {
      await adminClient.rbac.createClusterRoleBinding({ body: binding as V1ClusterRoleBinding });
      break;
    } catch (err) {
      if (statusCode(err) === 409) break;
      if (isForbidden(err)) {
        const superAdmin = read(C.SUPER_ADMIN_CONF);
        if (!superAdmin) {
          throw new Error(`the ClusterRoleBinding for the ${C.CLUSTER_ADMINS_GROUP} Group is missing but there is no ${C.SUPER_ADMIN_CONF} to create it`);
        }
        d.out.phase('kubeconfig', `Creating the ClusterRoleBinding "${C.CLUSTER_ADMINS_CRB}" with ${C.SUPER_ADMIN_CONF}`);
        await ClusterClient.fromKubeconfig(superAdmin).ensure(binding);
        break;
      }
      if (Date.now() > deadline) throw describeApiError(err, `unable to create ClusterRoleBinding ${C.CLUSTER_ADMINS_CRB}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  d.clientCache = adminClient;
  return adminClient;
}

export const writer = async (d: InitData): Promise<ObjectWriter> => (d.dryRun ? new DryRunWriter(d.out) : client(d));

export const node = (d: InitData): { nodeName: string; advertiseAddress: string } => ({ nodeName: d.cfg.nodeRegistration.name, advertiseAddress: d.cfg.localAPIEndpoint.advertiseAddress });

export function manifestInput(d: InitData): ManifestInput {
  return {
    cfg: d.cfg.cluster, nodeName: d.cfg.nodeRegistration.name, local: d.cfg.localAPIEndpoint,
    externalCA: isExternalCA(d.fs, d.cfg.cluster.certificatesDir, 'ca'),
  };
}
