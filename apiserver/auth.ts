/**
 * Authentication, in kube-apiserver's order: client certificate, bearer token (static, then bootstrap
 * token), then anonymous. Invalid credentials are 401 even when anonymous access is enabled, as upstream.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Storage } from './storage/index.js';

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
}

export interface AuthConfig {
  tokens: Map<string, UserInfo>;
  bootstrapTokens: boolean;
  anonymous: boolean;
  storage: Storage;
}

const BOOTSTRAP_TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

function withAuthenticated(u: UserInfo): UserInfo {
  return u.groups.includes('system:authenticated') ? u : { ...u, groups: [...u.groups, 'system:authenticated'] };
}

const unb64 = (v: unknown): string => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '');

async function bootstrapUser(storage: Storage, id: string, secret: string): Promise<UserInfo | undefined> {
  const s = await storage.get({ resource: '/secrets', namespace: 'kube-system', name: `bootstrap-token-${id}` });
  if (!s || s.type !== 'bootstrap.kubernetes.io/token' || s.metadata.deletionTimestamp) return undefined;
  const data = (s.data ?? {}) as Record<string, string>;
  if (unb64(data['token-id']) !== id || unb64(data['token-secret']) !== secret) return undefined;
  if (unb64(data['usage-bootstrap-authentication']) !== 'true') return undefined;
  const exp = unb64(data.expiration);
  if (exp && !(Date.parse(exp) > Date.now())) return undefined;
  const extra = unb64(data['auth-extra-groups']).split(',').map((g) => g.trim()).filter((g) => g.startsWith('system:bootstrappers:'));
  return { name: `system:bootstrap:${id}`, groups: ['system:bootstrappers', ...extra, 'system:authenticated'] };
}

/** The user of a request; undefined means 401. */
/** A TLS connection's client certificate is fixed for its lifetime, so it is read once per connection. */
const certUsers = new WeakMap<object, UserInfo | null | false>();

/** The certificate's user; null for a presented but untrusted certificate; false when there is none. */
function certUser(sock: TLSSocket): UserInfo | null | false {
  const cached = certUsers.get(sock);
  if (cached !== undefined) return cached;
  const cert = sock.getPeerCertificate?.();
  let user: UserInfo | null | false = false;
  if (cert && cert.subject) {
    const cn = cert.subject.CN;
    const o = cert.subject.O;
    const name = Array.isArray(cn) ? cn[0] : cn;
    // A certificate that is presented but not trusted (or has no CN) is a failed login, never anonymous.
    user = !sock.authorized || !name ? null : withAuthenticated({ name, groups: o === undefined ? [] : Array.isArray(o) ? [...o] : [o] });
  }
  certUsers.set(sock, user);
  return user;
}

export async function authenticate(req: IncomingMessage, cfg: AuthConfig): Promise<UserInfo | undefined> {
  const fromCert = certUser(req.socket as TLSSocket);
  if (fromCert === null) return undefined;
  if (fromCert) return fromCert;
  const authz = req.headers.authorization;
  if (authz) {
    const m = authz.match(/^Bearer\s+(\S+)\s*$/i);
    if (!m) return undefined;
    const token = m[1]!;
    const u = cfg.tokens.get(token);
    if (u) return withAuthenticated(u);
    const b = cfg.bootstrapTokens ? token.match(BOOTSTRAP_TOKEN) : null;
    if (b) return bootstrapUser(cfg.storage, b[1]!, b[2]!);
    return undefined;
  }
  if (cfg.anonymous) return { name: 'system:anonymous', groups: ['system:unauthenticated'] };
  return undefined;
}
