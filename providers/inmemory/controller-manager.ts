/**
 * The kube-controller-manager controllers a kubeadm cluster relies on, run against the workload cluster:
 *   csrapproving   approves kubelet client CSRs (new nodes via bootstrap tokens, and renewals by the node
 *                  itself) when kubeadm's ClusterRoleBindings grant the requester the nodeclient or
 *                  selfnodeclient ClusterRole, after checking the CSR's subject and usages;
 *   csrsigning     signs approved CSRs for the kubernetes.io signers with --cluster-signing-cert/key-file;
 *   bootstrapsigner keeps cluster-info's jws-kubeconfig-<id> signatures in step with the signing tokens;
 *   tokencleaner   deletes bootstrap-token Secrets when they expire (the API server's garbage collector then
 *                  removes what they own, such as kubeadm-certs).
 * All of them are driven by watches (informers); the only timers are one per token, set to its expiry.
 */
import { computeJWS } from '../../bootstrap/tokens.js';
import type { Logger } from '../../lib/logging.js';
import { parseCsr, signCsr, type CertAndKey, type Usage } from '../../lib/pki.js';
import { ApiError, Informer, type KubeClient, type KubeObject } from './kubeclient.js';

const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const CRB_PATH = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
const KUBE_SYSTEM_SECRETS = '/api/v1/namespaces/kube-system/secrets';
const KUBE_PUBLIC_CONFIGMAPS = '/api/v1/namespaces/kube-public/configmaps';
const TOKEN_TYPE = 'bootstrap.kubernetes.io/token';

const NODE_CLIENT_ROLE = 'system:certificates.k8s.io:certificatesigningrequests:nodeclient';
const SELF_NODE_CLIENT_ROLE = 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient';
const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';

/** Signer name → the extended key usages its certificates may carry. */
const SIGNERS: Record<string, Usage[]> = {
  [KUBELET_CLIENT_SIGNER]: ['client'],
  'kubernetes.io/kube-apiserver-client': ['client'],
  'kubernetes.io/kubelet-serving': ['server'],
};

export interface ControllerManagerOptions {
  client: KubeClient;
  /** The cluster CA from --cluster-signing-cert-file / --cluster-signing-key-file. */
  signingCA: CertAndKey;
  /** --cluster-signing-duration; default one year. */
  signingDurationDays?: number;
  logger: Logger;
}

interface CsrObject extends KubeObject {
  spec: { request: string; signerName: string; usages?: string[]; username?: string; groups?: string[] };
  status?: { conditions?: { type: string; status: string }[]; certificate?: string };
}

interface RoleBinding extends KubeObject {
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string }[];
}

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');
const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

/** The csrapproving controller's recognizer for kubelet client certificates (k8s.io/kubernetes pkg/controller/certificates/approver). */
export function isNodeClientCert(csr: CsrObject): { ok: true; commonName: string } | { ok: false } {
  if (csr.spec.signerName !== KUBELET_CLIENT_SIGNER) return { ok: false };
  let info;
  try {
    info = parseCsr(unb64(csr.spec.request));
  } catch {
    return { ok: false };
  }
  if (!sameSet(info.organization, ['system:nodes'])) return { ok: false };
  if (!info.commonName.startsWith('system:node:')) return { ok: false };
  const usages = csr.spec.usages ?? [];
  const allowed = [['digital signature', 'key encipherment', 'client auth'], ['digital signature', 'client auth']];
  if (!allowed.some((set) => sameSet(usages, set))) return { ok: false };
  return { ok: true, commonName: info.commonName };
}

export class ControllerManager {
  private readonly csrs: Informer;
  private readonly bindings: Informer;
  private readonly secrets: Informer;
  private readonly configMaps: Informer;
  private readonly inFlight = new Set<string>();
  private readonly again = new Set<string>();
  private readonly tokenTimers = new Map<string, NodeJS.Timeout>();
  private signScheduled = false;
  private stopped = false;

  constructor(private readonly opts: ControllerManagerOptions) {
    const c = opts.client;
    this.bindings = new Informer(c, CRB_PATH, { onSync: () => this.csrs?.cache.forEach((o) => this.enqueueCsr(o)) });
    this.csrs = new Informer(c, CSR_PATH, { onUpsert: (o) => this.enqueueCsr(o) });
    this.secrets = new Informer(c, KUBE_SYSTEM_SECRETS, {
      onUpsert: (o) => this.onSecret(o as SecretObject),
      onDelete: (o) => this.onSecretGone(o as SecretObject),
    });
    this.configMaps = new Informer(c, KUBE_PUBLIC_CONFIGMAPS, { onUpsert: (o) => o.metadata.name === 'cluster-info' && this.scheduleSigning() });
  }

  start(): void {
    this.bindings.start();
    this.csrs.start();
    this.secrets.start();
    this.configMaps.start();
  }

  stop(): void {
    this.stopped = true;
    for (const i of [this.bindings, this.csrs, this.secrets, this.configMaps]) i.stop();
    for (const t of this.tokenTimers.values()) clearTimeout(t);
    this.tokenTimers.clear();
    this.opts.client.close();
  }

  // ---- csrapproving + csrsigning ----

  private enqueueCsr(o: KubeObject): void {
    const name = o.metadata.name;
    if (this.stopped) return;
    if (this.inFlight.has(name)) {
      this.again.add(name);
      return;
    }
    this.inFlight.add(name);
    void this.syncCsr(name)
      .catch((err: unknown) => this.opts.logger.warn({ csr: name, err: err instanceof Error ? err.message : String(err) }, 'csr sync failed'))
      .finally(() => {
        this.inFlight.delete(name);
        if (this.again.delete(name)) {
          const latest = this.csrs.cache.get(`/${name}`);
          if (latest) this.enqueueCsr(latest);
        }
      });
  }

  private async syncCsr(name: string): Promise<void> {
    const csr = this.csrs.cache.get(`/${name}`) as CsrObject | undefined;
    if (!csr || this.stopped) return;
    const conds = csr.status?.conditions ?? [];
    const has = (t: string): boolean => conds.some((c) => c.type === t && c.status === 'True');
    if (has('Denied') || has('Failed')) return;
    if (!has('Approved')) {
      await this.maybeApprove(csr);
      return;
    }
    if (!csr.status?.certificate) await this.sign(csr);
  }

  private grants(role: string, username: string | undefined, groups: string[]): boolean {
    for (const o of this.bindings.cache.values()) {
      const b = o as RoleBinding;
      if (b.roleRef.kind !== 'ClusterRole' || b.roleRef.name !== role) continue;
      if ((b.subjects ?? []).some((s) => (s.kind === 'Group' && groups.includes(s.name)) || (s.kind === 'User' && s.name === username))) return true;
    }
    return false;
  }

  private async maybeApprove(csr: CsrObject): Promise<void> {
    const rec = isNodeClientCert(csr);
    if (!rec.ok) return; // not ours to approve: left for a human, as upstream
    await this.bindings.hasSynced();
    const groups = csr.spec.groups ?? [];
    const self = csr.spec.username === rec.commonName;
    const allowed = (self && this.grants(SELF_NODE_CLIENT_ROLE, csr.spec.username, groups)) || this.grants(NODE_CLIENT_ROLE, csr.spec.username, groups);
    if (!allowed) return;
    const approved = {
      ...csr,
      status: {
        ...csr.status,
        conditions: [...(csr.status?.conditions ?? []), {
          type: 'Approved', status: 'True', reason: 'AutoApproved',
          message: self ? 'Auto approving self kubelet client certificate after SubjectAccessReview.' : 'Auto approving kubelet client certificate after SubjectAccessReview.',
          lastUpdateTime: new Date().toISOString(),
        }],
      },
    };
    await this.ignoreConflict(this.opts.client.replace(`${CSR_PATH}/${csr.metadata.name}/approval`, approved));
    this.opts.logger.info({ csr: csr.metadata.name, requester: csr.spec.username }, 'csr approved');
  }

  private async sign(csr: CsrObject): Promise<void> {
    const usages = SIGNERS[csr.spec.signerName];
    if (!usages) return; // some other signer's business
    const want = (csr.spec.usages ?? []).filter((u) => u === 'client auth' || u === 'server auth').map((u) => (u === 'client auth' ? 'client' : 'server') as Usage);
    if (want.length === 0 || !want.every((u) => usages.includes(u))) {
      await this.markFailed(csr, 'SignerValidationFailure', `usages ${JSON.stringify(csr.spec.usages ?? [])} are not allowed for signer ${csr.spec.signerName}`);
      return;
    }
    let certPem: string;
    try {
      certPem = signCsr(unb64(csr.spec.request), this.opts.signingCA, want, this.opts.signingDurationDays);
    } catch (err) {
      await this.markFailed(csr, 'SignerValidationFailure', err instanceof Error ? err.message : String(err));
      return;
    }
    const signed = { ...csr, status: { ...csr.status, certificate: Buffer.from(certPem).toString('base64') } };
    await this.ignoreConflict(this.opts.client.replace(`${CSR_PATH}/${csr.metadata.name}/status`, signed));
    this.opts.logger.info({ csr: csr.metadata.name, signer: csr.spec.signerName }, 'csr signed');
  }

  private async markFailed(csr: CsrObject, reason: string, message: string): Promise<void> {
    const failed = { ...csr, status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), { type: 'Failed', status: 'True', reason, message, lastUpdateTime: new Date().toISOString() }] } };
    await this.ignoreConflict(this.opts.client.replace(`${CSR_PATH}/${csr.metadata.name}/status`, failed));
  }

  /** A 409 means a newer version is on its way through the watch, which re-queues the object. */
  private async ignoreConflict(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!(err instanceof ApiError && (err.code === 409 || err.code === 404))) throw err;
    }
  }

  // ---- tokencleaner + bootstrapsigner ----

  private onSecret(s: SecretObject): void {
    if (s.type !== TOKEN_TYPE) return;
    this.scheduleSigning();
    const key = s.metadata.name;
    const prev = this.tokenTimers.get(key);
    if (prev) clearTimeout(prev);
    this.tokenTimers.delete(key);
    const exp = unb64(s.data?.expiration);
    if (!exp) return;
    const at = Date.parse(exp);
    if (Number.isNaN(at)) return;
    const wait = at - Date.now();
    if (wait <= 0) {
      void this.deleteToken(s);
      return;
    }
    // setTimeout holds at most ~24.8 days; a longer-lived token is looked at again then.
    const t = setTimeout(() => {
      this.tokenTimers.delete(key);
      const cur = this.secrets.cache.get(`kube-system/${key}`) as SecretObject | undefined;
      if (cur) this.onSecret(cur);
    }, Math.min(wait + 50, 2 ** 31 - 1));
    t.unref();
    this.tokenTimers.set(key, t);
  }

  private onSecretGone(s: SecretObject): void {
    const t = this.tokenTimers.get(s.metadata.name);
    if (t) clearTimeout(t);
    this.tokenTimers.delete(s.metadata.name);
    if (s.type === TOKEN_TYPE) this.scheduleSigning();
  }

  private async deleteToken(s: SecretObject): Promise<void> {
    if (this.stopped) return;
    try {
      await this.opts.client.request('DELETE', `${KUBE_SYSTEM_SECRETS}/${s.metadata.name}`, {
        kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid: s.metadata.uid },
      });
      this.opts.logger.info({ secret: s.metadata.name }, 'deleted expired bootstrap token');
    } catch (err) {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) {
        this.opts.logger.warn({ secret: s.metadata.name, err: err instanceof Error ? err.message : String(err) }, 'deleting expired bootstrap token failed');
      }
    }
  }

  private scheduleSigning(): void {
    if (this.signScheduled || this.stopped) return;
    this.signScheduled = true;
    setImmediate(() => {
      this.signScheduled = false;
      void this.signClusterInfo().catch((err: unknown) => {
        this.opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'bootstrap signer failed');
        // The next watch event retries; a conflict means one is already on its way.
      });
    });
  }

  private async signClusterInfo(): Promise<void> {
    await Promise.all([this.secrets.hasSynced(), this.configMaps.hasSynced()]);
    const cm = this.configMaps.cache.get('kube-public/cluster-info') as (KubeObject & { data?: Record<string, string> }) | undefined;
    const content = cm?.data?.kubeconfig;
    if (!cm || content === undefined) return;
    const want: Record<string, string> = {};
    for (const o of this.secrets.cache.values()) {
      const s = o as SecretObject;
      if (s.type !== TOKEN_TYPE || s.metadata.deletionTimestamp) continue;
      const d = s.data ?? {};
      if (unb64(d['usage-bootstrap-signing']) !== 'true') continue;
      const exp = unb64(d.expiration);
      if (exp && !(Date.parse(exp) > Date.now())) continue;
      const id = unb64(d['token-id']);
      const secret = unb64(d['token-secret']);
      if (!id || !secret) continue;
      want[`jws-kubeconfig-${id}`] = computeJWS(content, id, secret);
    }
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(cm.data ?? {})) if (!k.startsWith('jws-kubeconfig-')) data[k] = v;
    Object.assign(data, want);
    const before = JSON.stringify(Object.entries(cm.data ?? {}).sort());
    if (before === JSON.stringify(Object.entries(data).sort())) return;
    await this.ignoreConflict(this.opts.client.replace(`${KUBE_PUBLIC_CONFIGMAPS}/cluster-info`, { ...cm, data }));
  }
}
