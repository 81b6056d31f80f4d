/**
 * Bootstrap tokens (k8s.io/cluster-bootstrap): `[a-z0-9]{6}.[a-z0-9]{16}`, stored as a `bootstrap-token-<id>` Secret of
 * type bootstrap.kubernetes.io/token, and the detached JWS that signs cluster-info with a token.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { NODE_BOOTSTRAP_TOKEN_AUTH_GROUP } from './constants.js';
import type { OwnerReference } from '../lib/kube.js';

export const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
export const TOKEN_USAGES = ['signing', 'authentication'] as const;

export interface BootstrapToken {
  id: string;
  secret: string;
}

function randomString(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return s;
}

/** A fresh token from a CSPRNG, as bootstraputil.GenerateBootstrapToken. */
export function newBootstrapToken(): string {
  return `${randomString(6)}.${randomString(16)}`;
}

/** Splits and validates "<id>.<secret>". The error never echoes the secret. */
export function parseBootstrapToken(token: string, field = 'token'): BootstrapToken {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) throw new Error(`${field}: the bootstrap token does not match the format [a-z0-9]{6}.[a-z0-9]{16}`);
  return { id: m[1]!, secret: m[2]! };
}

export const bootstrapTokenSecretName = (id: string): string => `bootstrap-token-${id}`;

export interface BootstrapTokenSecretOptions {
  description?: string;
  /** Absolute expiry; wins over ttlSeconds. */
  expires?: Date;
  /** Seconds from now; 0 or undefined with no `expires` means the token never expires. */
  ttlSeconds?: number;
  usages?: string[];
  /** Extra groups (auth-extra-groups); kubeadm's default is system:bootstrappers:kubeadm:default-node-token. */
  groups?: string[];
  now?: Date;
}

export interface SecretObject {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string; ownerReferences?: OwnerReference[] };
  type: string;
  data: Record<string, string>;
}

export type { OwnerReference } from '../lib/kube.js';

/** RFC 3339 without fractional seconds, as Go's time.RFC3339 prints a UTC time. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The kube-system Secret a bootstrap token lives in (bootstraptokenv1.BootstrapTokenToSecret). */
export function bootstrapTokenSecret(token: string, opts: BootstrapTokenSecretOptions = {}): SecretObject {
  const { id, secret } = parseBootstrapToken(token);
  const usages = opts.usages ?? [...TOKEN_USAGES];
  for (const u of usages) {
    if (!(TOKEN_USAGES as readonly string[]).includes(u)) throw new Error(`usages: "${u}" is not a bootstrap token usage (${TOKEN_USAGES.join(', ')})`);
  }
  const groups = opts.groups ?? (usages.includes('authentication') ? [NODE_BOOTSTRAP_TOKEN_AUTH_GROUP] : []);
  for (const g of groups) {
    if (!GROUP_PATTERN.test(g)) throw new Error(`groups: "${g}" must match ${GROUP_PATTERN.source}`);
  }
  const data: Record<string, string> = { 'token-id': id, 'token-secret': secret };
  if (opts.description) data.description = opts.description;
  const now = opts.now ?? new Date();
  const expires = opts.expires ?? (opts.ttlSeconds ? new Date(now.getTime() + opts.ttlSeconds * 1000) : undefined);
  if (expires) data.expiration = rfc3339(expires);
  for (const u of usages) data[`usage-bootstrap-${u}`] = 'true';
  if (groups.length > 0) data['auth-extra-groups'] = groups.join(',');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: bootstrapTokenSecretName(id), namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** go-jose refuses HS256 keys under 32 bytes, so cluster-bootstrap zero-pads the token secret to 32. */
function hmacKey(tokenSecret: string): Buffer {
  const raw = Buffer.from(tokenSecret, 'utf8');
  if (raw.length >= 32) return raw;
  const key = Buffer.alloc(32);
  raw.copy(key);
  return key;
}

/**
 * The detached-payload compact JWS (RFC 7515 appendix F) that cluster-bootstrap's ComputeDetachedSignature produces:
 * protected header `{"alg":"HS256","kid":"<token id>"}`, HMAC-SHA256 keyed with the token secret, payload elided.
 */
export function computeJWS(content: string, tokenId: string, tokenSecret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: tokenId }));
  const payload = b64url(content);
  const sig = createHmac('sha256', hmacKey(tokenSecret)).update(`${header}.${payload}`).digest();
  return `${header}..${b64url(sig)}`;
}

/**
 * Verifies a detached compact JWS over content: HS256 with the token secret, and a protected header naming this token
 * (`kid`). The header is checked by meaning, not bytes, so signatures from other JWS implementations verify too;
 * the MAC is compared in constant time.
 */
export function verifyJWS(detached: string, content: string, tokenId: string, tokenSecret: string): boolean {
  const parts = detached.split('.');
  if (parts.length !== 3 || parts[1] !== '') return false;
  const [header, , sig] = parts as [string, string, string];
  let h: { alg?: unknown; kid?: unknown; crit?: unknown };
  try {
    h = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as typeof h;
  } catch {
    return false;
  }
  if (h.alg !== 'HS256' || h.kid !== tokenId || h.crit !== undefined) return false;
  const expected = createHmac('sha256', hmacKey(tokenSecret)).update(`${header}.${b64url(content)}`).digest();
  const got = Buffer.from(sig, 'base64url');
  return expected.length === got.length && timingSafeEqual(expected, got);
}
