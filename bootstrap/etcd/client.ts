/**
 * An etcd v3 client for membership, speaking the JSON API etcd's gRPC gateway serves on every client URL
 * (etcdserverpb/gw: POST /v3/cluster/member/{list,add,promote,remove}, /v3/maintenance/status) over HTTPS with a client
 * certificate signed by the etcd CA, as clientv3 does over gRPC (and /v3/maintenance/transfer-leadership). uint64 IDs travel as JSON strings (protojson); they
 * stay strings here, since a JavaScript number cannot hold them.
 *
 * Each call goes to the endpoints in turn until one answers, as clientv3's balancer does; an answer that is an etcd
 * error (a JSON body with code and message) is returned as an EtcdError at once, without trying the others.
 */
import { request } from 'node:https';

export interface EtcdTLS {
  /** The etcd CA (etcd/ca.crt), which signs the members' serving certificates. */
  caPem: string;
  /** A client certificate signed by the etcd CA, and its key. */
  certPem: string;
  keyPem: string;
}

/** etcdserverpb.Member. A member added but not started yet has no name and no client URLs. */
export interface EtcdMember {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** etcdserverpb.StatusResponse, the fields the membership code reads. */
export interface EtcdStatus {
  version: string;
  leader: string;
  raftIndex: string;
  raftAppliedIndex: string;
  isLearner: boolean;
  errors: string[];
  memberID: string;
}

/** The gRPC status codes etcd answers with (google.golang.org/grpc/codes). */
export const GrpcCode = { NotFound: 5, FailedPrecondition: 9, Unavailable: 14 } as const;

/** An error etcd answered with: its gRPC code and message (the rpctypes error text, e.g. "etcdserver: member not found"). */
export class EtcdError extends Error {
  constructor(readonly endpoint: string, readonly path: string, readonly code: number, readonly etcdMessage: string, readonly httpStatus: number) {
    super(`etcd ${endpoint}: ${path}: ${etcdMessage} (code ${code})`);
  }
}

/** rpctypes' messages, by which clientv3 callers tell the errors apart. */
export const EtcdMessages = {
  peerURLExists: 'etcdserver: Peer URLs already exists',
  /** What etcd 3.6+ answers first for an added peer URL: the ID it derives from the peer URLs is taken. */
  memberIDExists: 'etcdserver: member ID already exist',
  memberNotFound: 'etcdserver: member not found',
  learnerNotReady: 'etcdserver: can only promote a learner member which is in sync with leader',
  memberNotLearner: 'etcdserver: can only promote a learner member',
  tooManyLearners: 'etcdserver: too many learner members in cluster',
} as const;

export const isEtcdError = (err: unknown, message: string): boolean => err instanceof EtcdError && err.etcdMessage === message;

/** A member is started once it has published its name (etcd's own rule, which kubeadm's getMemberStatus follows). */
export const isStarted = (m: EtcdMember): boolean => m.name !== '';

interface RawMember { ID?: string; name?: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean }

function member(m: RawMember): EtcdMember {
  return { ID: String(m.ID ?? '0'), name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], isLearner: m.isLearner === true };
}

export interface EtcdClientOptions {
  /** Per request, per endpoint; clientv3's dial timeout in kubeadm is 2 s. */
  timeoutMs?: number;
}

export class EtcdClient {
  private readonly timeoutMs: number;

  constructor(readonly endpoints: string[], private readonly tls: EtcdTLS, opts: EtcdClientOptions = {}) {
    if (endpoints.length === 0) throw new Error('etcd: no endpoints to connect to');
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  async memberList(): Promise<EtcdMember[]> {
    const res = await this.call<{ members?: RawMember[] }>('/v3/cluster/member/list', { linearizable: true });
    return (res.members ?? []).map(member);
  }

  /** MemberAdd (isLearner: MemberAddAsLearner): the new member, and every member after the change. */
  async memberAdd(peerURLs: string[], isLearner: boolean): Promise<{ member: EtcdMember; members: EtcdMember[] }> {
    const res = await this.call<{ member?: RawMember; members?: RawMember[] }>('/v3/cluster/member/add', { peerURLs, isLearner });
    return { member: member(res.member ?? {}), members: (res.members ?? []).map(member) };
  }

  async memberPromote(id: string): Promise<EtcdMember[]> {
    const res = await this.call<{ members?: RawMember[] }>('/v3/cluster/member/promote', { ID: id });
    return (res.members ?? []).map(member);
  }

  async memberRemove(id: string): Promise<EtcdMember[]> {
    const res = await this.call<{ members?: RawMember[] }>('/v3/cluster/member/remove', { ID: id });
    return (res.members ?? []).map(member);
  }

  /** The status of the member serving `endpoint` (Maintenance.Status is answered by the member asked, not the leader). */
  async status(endpoint: string): Promise<EtcdStatus> {
    const res = await post<{ header?: { member_id?: string }; version?: string; leader?: string; raftIndex?: string; raftAppliedIndex?: string; isLearner?: boolean; errors?: string[] }>(
      endpoint, '/v3/maintenance/status', {}, this.tls, this.timeoutMs);
    return {
      version: res.version ?? '', leader: String(res.leader ?? '0'), raftIndex: String(res.raftIndex ?? '0'), raftAppliedIndex: String(res.raftAppliedIndex ?? '0'),
      isLearner: res.isLearner === true, errors: res.errors ?? [], memberID: String(res.header?.member_id ?? '0'),
    };
  }

  /** Maintenance.MoveLeader: asks the leader at `leaderEndpoint` to hand leadership to targetID (a voting member). */
  async moveLeader(leaderEndpoint: string, targetID: string): Promise<void> {
    await post(leaderEndpoint, '/v3/maintenance/transfer-leadership', { targetID }, this.tls, this.timeoutMs);
  }

  private async call<T>(path: string, body: unknown): Promise<T> {
    const failures: string[] = [];
    for (const ep of this.endpoints) {
      try {
        return await post<T>(ep, path, body, this.tls, this.timeoutMs);
      } catch (err) {
        // etcd answered: that is the cluster's answer, unless the member asked cannot serve it: Unavailable, or a
        // learner's ErrGRPCNotSupportedForLearner (FailedPrecondition; a stale endpoint whose address a new learner
        // took over, as clientv3 never asks learners). Then ask the next.
        if (err instanceof EtcdError && err.code !== GrpcCode.Unavailable && !isLearnerRefusal(err)) throw err;
        failures.push((err as Error).message);
      }
    }
    throw new Error(`etcd: no endpoint answered ${path}: ${failures.join('; ')}`);
  }
}

/** etcd's ErrGRPCNotSupportedForLearner: the member asked is a learner, which serves no cluster calls. */
const isLearnerRefusal = (err: EtcdError): boolean => err.code === GrpcCode.FailedPrecondition && /not supported for learner/.test(err.message);

/** One POST of a JSON body to one endpoint; an etcd error body becomes an EtcdError. */
function post<T>(endpoint: string, path: string, body: unknown, tls: EtcdTLS, timeoutMs: number): Promise<T> {
  const url = new URL(path, endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, rejectUnauthorized: true,
      agent: false, timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          reject(new Error(`etcd ${endpoint}: ${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
          return;
        }
        const e = parsed as { code?: number; message?: string; error?: string };
        if ((res.statusCode ?? 0) >= 400 || (typeof e.code === 'number' && e.code !== 0 && (e.message ?? e.error) !== undefined)) {
          reject(new EtcdError(endpoint, path, e.code ?? 0, e.message ?? e.error ?? text.slice(0, 200), res.statusCode ?? 0));
          return;
        }
        resolve(parsed as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`etcd ${endpoint}: ${path}: timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => reject(err.message.startsWith('etcd ') ? err : new Error(`etcd ${endpoint}: ${path}: ${err.message}`)));
    req.end(payload);
  });
}
