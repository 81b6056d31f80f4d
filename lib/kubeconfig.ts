/** Kubeconfig files (clientcmd v1), as kubeadm writes them: one cluster, one user, one context, CA embedded. */
import yaml from 'js-yaml';

export interface KubeconfigSpec {
  clusterName: string;
  server: string;
  caPem: string;
  userName: string;
  /** Client certificate credentials... */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** ...or a bearer token (bootstrap-kubelet.conf, service accounts)... */
  token?: string;
  /** ...or files on the node (kubelet.conf after TLS bootstrap points at kubelet-client-current.pem). */
  clientCertificatePath?: string;
  clientKeyPath?: string;
  contextName?: string;
  namespace?: string;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function kubeconfigObject(spec: KubeconfigSpec): Record<string, unknown> {
  const contextName = spec.contextName ?? `${spec.userName}@${spec.clusterName}`;
  const user: Record<string, string> = {};
  if (spec.clientCertPem) user['client-certificate-data'] = b64(spec.clientCertPem);
  if (spec.clientKeyPem) user['client-key-data'] = b64(spec.clientKeyPem);
  if (spec.token) user.token = spec.token;
  if (spec.clientCertificatePath) user['client-certificate'] = spec.clientCertificatePath;
  if (spec.clientKeyPath) user['client-key'] = spec.clientKeyPath;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.clusterName, cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) } }],
    users: [{ name: spec.userName, user }],
    contexts: [{ name: contextName, context: { cluster: spec.clusterName, user: spec.userName, ...(spec.namespace ? { namespace: spec.namespace } : {}) } }],
    'current-context': contextName,
    preferences: {},
  };
}

export function kubeconfigYaml(spec: KubeconfigSpec): string {
  return yaml.dump(kubeconfigObject(spec), { lineWidth: -1, noRefs: true });
}

export interface ParsedKubeconfig {
  server: string;
  caPem?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
  clientCertificatePath?: string;
  clientKeyPath?: string;
  clusterName: string;
  userName: string;
}

interface RawKubeconfig {
  'current-context'?: string;
  clusters?: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[];
  users?: { name: string; user: Record<string, string | undefined> }[];
  contexts?: { name: string; context: { cluster: string; user: string } }[];
}

const unb64 = (s: string | undefined): string | undefined => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

/** The current context's cluster and user of a kubeconfig with embedded data. */
export function parseKubeconfig(text: string): ParsedKubeconfig {
  const raw = yaml.load(text) as RawKubeconfig | null;
  if (!raw || typeof raw !== 'object') throw new Error('kubeconfig: not a YAML mapping');
  const ctx = raw.contexts?.find((c) => c.name === raw['current-context']) ?? raw.contexts?.[0];
  if (!ctx) throw new Error('kubeconfig: no context');
  const cluster = raw.clusters?.find((c) => c.name === ctx.context.cluster);
  const user = raw.users?.find((u) => u.name === ctx.context.user);
  if (!cluster) throw new Error(`kubeconfig: context ${ctx.name} names unknown cluster ${ctx.context.cluster}`);
  return {
    server: cluster.cluster.server,
    caPem: unb64(cluster.cluster['certificate-authority-data']),
    clientCertPem: unb64(user?.user['client-certificate-data']),
    clientKeyPem: unb64(user?.user['client-key-data']),
    token: user?.user.token,
    clientCertificatePath: user?.user['client-certificate'],
    clientKeyPath: user?.user['client-key'],
    clusterName: ctx.context.cluster,
    userName: ctx.context.user,
  };
}
