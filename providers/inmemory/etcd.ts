/**
 * The in-memory provider's stacked etcd: the membership of one cluster's etcd, answering the same JSON API the real
 * etcd's gRPC gateway serves (POST /v3/cluster/member/{list,add,promote,remove}, /v3/maintenance/status) over HTTPS
 * with the member's own serving certificate and client-certificate authentication (--cert-file, --key-file,
 * --trusted-ca-file of its static Pod), so the agent's join and the Machine controller speak the real protocol to it.
 * The key-value data stays in the cluster's one shared store; only the membership is simulated here.
 *
 * Behaviour follows etcd's: a member bootstraps a new cluster from --initial-cluster; a joining member
 * (--initial-cluster-state=existing) must have been added first; a member has no name until it starts; a learner is
 * promoted only once it has caught up with the leader (catchUpMs after it started); a learner refuses member calls;
 * a removed member stops. The membership is kept in a JSON file so that it survives a restart of the daemon, as
 * etcd's data directory does.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { dirname } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SimEtcdMember {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** etcd's gRPC codes and rpctypes messages, as the gateway returns them. */
const ERR = {
  peerURLExists: [9, 'etcdserver: Peer URLs already exists'],
  memberNotFound: [5, 'etcdserver: member not found'],
  learnerNotReady: [9, 'etcdserver: can only promote a learner member which is in sync with leader'],
  memberNotLearner: [9, 'etcdserver: can only promote a learner member'],
  learnerRPC: [14, 'etcdserver: rpc not supported for learner'],
  /** etcd's --max-learners is 1 by default: a second join waits (kubeadm retries) until the first is promoted. */
  tooManyLearners: [9, 'etcdserver: too many learner members in cluster'],
  badRequest: [3, 'invalid request body'],
  stopped: [14, 'etcdserver: server stopped'],
  notLeader: [9, 'etcdserver: not leader'],
  badLeaderTransferee: [9, 'etcdserver: bad leader transferee'],
} as const;

class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const fail = (e: readonly [number, string]): never => {
  throw new RpcError(e[0], e[1]);
};

/** gRPC code → HTTP status, as grpc-gateway maps them. */
const HTTP_STATUS: Record<number, number> = { 3: 400, 5: 404, 9: 400, 14: 503 };

export interface SimEtcdServing {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** --trusted-ca-file: with --client-cert-auth, only clients it signed are served. */
  clientCAPem: string;
}

export interface MemberStart {
  name: string;
  peerURL: string;
  clientURLs: string[];
  /** --initial-cluster (name=peerURL,...) and --initial-cluster-state. */
  initialCluster: string;
  state: 'new' | 'existing';
  /** How long this member takes to catch up with the leader (default: the cluster's catchUpMs). */
  catchUpMs?: number;
}

export class SimEtcd {
  private members: SimEtcdMember[] = [];
  /** When each running member has caught up with the leader, by ID (set when it starts). */
  private readonly running = new Map<string, number>();
  private readonly servers = new Map<string, Server>();
  private readonly clusterID = randomID();
  /** The member MoveLeader made leader, while it is a started voting member (else the first such member leads). */
  private leaderID?: string;

  constructor(private readonly file?: string, readonly catchUpMs = 300) {
    if (file && existsSync(file)) this.members = (JSON.parse(readFileSync(file, 'utf8')) as { members: SimEtcdMember[] }).members;
  }

  /** The membership as `etcdctl member list` shows it, with whether each member's process runs. */
  list(): (SimEtcdMember & { running: boolean })[] {
    return this.members.map((m) => ({ ...m, running: this.running.has(m.ID) }));
  }

  /**
   * A member's process starts, as etcd does with its flags: the first one of a new cluster bootstraps the membership
   * from --initial-cluster; any other must already be a member (added before its manifest was written). Returns its ID.
   */
  start(s: MemberStart): string {
    let m = this.members.find((x) => x.peerURLs[0] === s.peerURL);
    if (!m && s.state === 'new' && this.members.length === 0) {
      this.members = s.initialCluster.split(',').filter(Boolean).map((kv) => {
        const i = kv.indexOf('=');
        return { ID: randomID(), name: '', peerURLs: [kv.slice(i + 1)], clientURLs: [], isLearner: false };
      });
      m = this.members.find((x) => x.peerURLs[0] === s.peerURL);
    }
    if (!m) throw new Error(`etcd: member ${s.name} (${s.peerURL}) has not been added to the cluster; add it (as a learner) before starting it`);
    m.name = s.name;
    m.clientURLs = s.clientURLs;
    this.running.set(m.ID, Date.now() + (s.catchUpMs ?? this.catchUpMs));
    this.save();
    return m.ID;
  }

  /** The member's process stops (it stays a member, with its name). */
  async stop(id: string): Promise<void> {
    this.running.delete(id);
    const srv = this.servers.get(id);
    this.servers.delete(id);
    if (srv) await closeServer(srv);
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((id) => this.stop(id)));
    this.running.clear();
  }

  /** Serves the member's client URL: HTTPS, client certificates required, the JSON API. */
  async serve(id: string, s: SimEtcdServing): Promise<void> {
    const old = this.servers.get(id);
    if (old) await closeServer(old);
    const server = createServer({ cert: s.certPem, key: s.keyPem, ca: s.clientCAPem, requestCert: true, rejectUnauthorized: true }, (req, res) => this.http(id, req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(s.port, s.host, () => resolve());
    });
    this.servers.set(id, server);
  }

  private http(self: string, req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let status = 200;
      let body: unknown;
      try {
        if (req.method !== 'POST') throw new RpcError(12, `method ${req.method} not allowed`);
        let input: Record<string, unknown> = {};
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          input = text ? JSON.parse(text) as Record<string, unknown> : {};
        } catch {
          fail(ERR.badRequest);
        }
        body = this.rpc(self, (req.url ?? '').split('?')[0]!, input);
      } catch (err) {
        const e = err instanceof RpcError ? err : new RpcError(2, (err as Error).message);
        status = HTTP_STATUS[e.code] ?? 500;
        body = { code: e.code, message: e.message, details: [] };
      }
      if (status === 404 && body === undefined) body = { code: 5, message: 'Not Found', details: [] };
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    });
  }

  /** One call of the API, answered by member `self`. */
  rpc(self: string, path: string, input: Record<string, unknown>): unknown {
    const me = this.members.find((m) => m.ID === self);
    if (!me || !this.running.has(self)) fail(ERR.stopped);
    const header = { cluster_id: this.clusterID, member_id: self, raft_term: '2' };
    if (path === '/v3/maintenance/status') {
      return { header, version: '3.6.0', leader: this.leader() ?? '0', raftIndex: '1', raftAppliedIndex: '1', ...(me!.isLearner ? { isLearner: true } : {}) };
    }
    if (path === '/v3/maintenance/transfer-leadership') {
      if (this.leader() !== self) fail(ERR.notLeader);
      const target = this.members.find((m) => m.ID === String(input.targetID));
      if (!target || target.isLearner || !this.running.has(target.ID)) fail(ERR.badLeaderTransferee);
      this.leaderID = target!.ID;
      return { header };
    }
    if (path.startsWith('/v3/cluster/member/') && me!.isLearner) fail(ERR.learnerRPC);
    switch (path) {
      case '/v3/cluster/member/list': return { header, members: this.members.map(wire) };
      case '/v3/cluster/member/add': {
        const peerURLs = input.peerURLs;
        if (!Array.isArray(peerURLs) || peerURLs.length === 0 || !peerURLs.every((u) => typeof u === 'string')) fail(ERR.badRequest);
        const urls = peerURLs as string[];
        if (this.members.some((m) => m.peerURLs.some((u) => urls.includes(u)))) fail(ERR.peerURLExists);
        if (input.isLearner === true && this.members.some((m) => m.isLearner)) fail(ERR.tooManyLearners);
        const m: SimEtcdMember = { ID: randomID(), name: '', peerURLs: urls, clientURLs: [], isLearner: input.isLearner === true };
        this.members.push(m);
        this.save();
        return { header, member: wire(m), members: this.members.map(wire) };
      }
      case '/v3/cluster/member/promote': {
        const m = this.members.find((x) => x.ID === String(input.ID));
        if (!m) return fail(ERR.memberNotFound);
        if (!m.isLearner) fail(ERR.memberNotLearner);
        const caughtUp = this.running.get(m.ID);
        if (caughtUp === undefined || Date.now() < caughtUp) fail(ERR.learnerNotReady);
        m.isLearner = false;
        this.save();
        return { header, members: this.members.map(wire) };
      }
      case '/v3/cluster/member/remove': {
        const m = this.members.find((x) => x.ID === String(input.ID));
        if (!m) return fail(ERR.memberNotFound);
        this.members = this.members.filter((x) => x !== m);
        this.save();
        // a removed member stops, as etcd exits once it learns it was removed (after answering, if it was asked)
        setTimeout(() => void this.stop(m.ID), 50).unref();
        return { header, members: this.members.map(wire) };
      }
      default: throw new RpcError(5, 'Not Found');
    }
  }

  private leader(): string | undefined {
    const voting = (id?: string): boolean => this.members.some((m) => m.ID === id && !m.isLearner && this.running.has(m.ID));
    return voting(this.leaderID) ? this.leaderID : this.members.find((m) => voting(m.ID))?.ID;
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, JSON.stringify({ members: this.members }));
    renameSync(`${this.file}.tmp`, this.file);
  }
}

/** protojson: zero values (an empty name, false, empty lists) are left out. */
function wire(m: SimEtcdMember): Record<string, unknown> {
  return {
    ID: m.ID, ...(m.name ? { name: m.name } : {}), peerURLs: m.peerURLs,
    ...(m.clientURLs.length > 0 ? { clientURLs: m.clientURLs } : {}), ...(m.isLearner ? { isLearner: true } : {}),
  };
}

/** A uint64 member ID, in decimal as protojson writes it. */
function randomID(): string {
  return randomBytes(8).readBigUInt64BE().toString();
}

function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  });
}
