/**
 * The embedded Kubernetes-compatible API server: startApiServer() for tests and the daemon, openStorage()
 * for a store shared between several servers (a simulated stacked etcd).
 */
import { NodeRestriction } from './noderestriction.js';
import { NodeAuthorizer } from './node-authorizer.js';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeconfigYaml } from '../lib/kubeconfig.js';
import { silentLogger, type Logger } from '../lib/logging.js';
import type { UserInfo } from './auth.js';
import { CRD_RESOURCE } from './builtins.js';
import { GarbageCollector } from './gc.js';
import { nowRfc3339 } from './objects.js';
import { adminCredentials, setupPki } from './pki.js';
import { RbacAuthorizer, seedBootstrapPolicy } from './rbac.js';
import { Registry } from './registry.js';
import { Handler } from './server.js';
import { versionInfo } from './discovery.js';
import { openStorage, StorageError, type KObject, type ObjectKey, type Storage } from './storage/index.js';
import { WatchCache } from './watchcache.js';

export { openStorage } from './storage/index.js';
export type { Storage, KObject, ObjectKey, StorageEvent } from './storage/index.js';

export interface ApiServerOptions {
  /** 0 = ephemeral; the CLI's default is 6443. */
  port?: number;
  /** Default 127.0.0.1. */
  bindAddress?: string;
  /** Durable SQLite store and the generated PKI live here; absent = in-memory store and PKI. */
  dataDir?: string;
  /** An existing store shared between several servers; wins over dataDir's store and is not closed by close(). */
  storage?: Storage;
  /** Serving certificate; else generated (SANs 127.0.0.1, localhost, the bind address) and signed by the CA. */
  tls?: { certPem: string; keyPem: string };
  /** CA trusted for client certificates; else the generated CA. With keyPem the server can mint the admin kubeconfig. */
  clientCA?: { certPem: string; keyPem?: string };
  /** Static bearer tokens. */
  tokens?: { token: string; user: string; uid?: string; groups: string[] }[];
  /** Bootstrap tokens (kube-system Secrets of type bootstrap.kubernetes.io/token) authenticate as system:bootstrap:<id>. */
  enableBootstrapTokenAuth?: boolean;
  /** Requests without credentials become system:anonymous; false = 401. */
  anonymous?: boolean;
  /** Default AlwaysAllow. */
  authorization?: 'AlwaysAllow' | 'RBAC';
  /** With RBAC: the Node authorizer first (`--authorization-mode=Node,RBAC`, kubeadm's). Default true. */
  nodeAuthorizer?: boolean;
  /** The NodeRestriction admission plugin (kubeadm enables it). Default true when authorization is RBAC. */
  nodeRestriction?: boolean;
  logger?: Logger;
  /** How many events are kept for watch resumption (older revisions get 410 Gone). Default 10000. */
  watchCacheSize?: number;
  /** How often watches with allowWatchBookmarks get a bookmark. Default 10 s. */
  bookmarkIntervalMs?: number;
  /** kube-apiserver's --request-timeout for requests other than watches, in seconds: then a 504. Default 60. */
  requestTimeoutSeconds?: number;
  /** How long a watch without timeoutSeconds lasts before the server ends it (clients re-watch). Default 30-60 min. */
  watchTimeoutSeconds?: number;
  /** The Kubernetes version /version reports (a simulated workload API server reports its manifest's image tag). */
  kubernetesVersion?: string;
}

export interface RunningApiServer {
  url: string;
  port: number;
  /** The CA that issued the serving certificate. */
  caPem: string;
  storage: Storage;
  /** kubeconfig YAML with a client certificate CN=kubernetes-admin, O=system:masters (needs the client CA key). */
  adminKubeconfig(): string;
  kubeConfig(): KubeConfig;
  /** Stops listening and ends watches; does not close a shared storage. */
  close(): Promise<void>;
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  HPE_URI_TOO_LONG: [414, 'Request-URI Too Long'],
  HPE_INVALID_METHOD: [405, 'Method Not Allowed'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * A request node's HTTP parser refuses (a URL or headers over 16 KiB, a method it does not know, headers that never
 * finish) gets an HTTP answer, as Go's server gives one, rather than a reset connection.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [code, text] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request'];
  const reason = code === 405 ? 'MethodNotAllowed' : code === 408 ? 'Timeout' : code === 400 ? 'BadRequest' : 'RequestEntityTooLarge';
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: text, reason, code });
  socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  socket.once('finish', () => socket.destroy());
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

async function ensureNamespaces(storage: Storage): Promise<void> {
  for (const name of DEFAULT_NAMESPACES) {
    const key = { resource: '/namespaces', namespace: '', name };
    if (await storage.get(key)) continue;
    const ns: KObject = {
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name, uid: randomUUID(), creationTimestamp: nowRfc3339(), labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
    };
    try {
      await storage.create(key, ns);
    } catch (e) {
      if (!(e instanceof StorageError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}

async function allObjects(storage: Storage): Promise<{ key: ObjectKey; obj: KObject }[]> {
  const out: { key: ObjectKey; obj: KObject }[] = [];
  for (const resource of storage.resources()) {
    for (const obj of (await storage.list(resource)).items) out.push({ key: { resource, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name! }, obj });
  }
  return out;
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<RunningApiServer> {
  const logger = opts.logger ?? silentLogger();
  const bindAddress = opts.bindAddress ?? '127.0.0.1';
  const storage = opts.storage ?? openStorage({ dataDir: opts.dataDir });
  const ownsStorage = !opts.storage;
  const pki = setupPki({ dataDir: opts.dataDir, bindAddress, tls: opts.tls, clientCA: opts.clientCA });
  await ensureNamespaces(storage);
  if (opts.authorization === 'RBAC') await seedBootstrapPolicy(storage);

  const registry = new Registry(storage, (await storage.list(CRD_RESOURCE)).items);
  const watchCache = new WatchCache(storage, opts.watchCacheSize ?? 10000);
  const gc = new GarbageCollector(storage, logger, await allObjects(storage));
  const tokens = new Map<string, UserInfo>((opts.tokens ?? []).map((t) => [t.token, { name: t.user, uid: t.uid, groups: t.groups }]));
  const openWatches = new Set<() => void>();
  let port = 0;
  const hostForUrl = bindAddress === '0.0.0.0' || bindAddress === '::' ? '127.0.0.1' : bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress;

  const handler = new Handler({
    ctx: { storage, registry, watchCache, gc, logger, admission: opts.authorization === 'RBAC' && opts.nodeRestriction !== false ? new NodeRestriction(storage) : undefined },
    auth: { tokens, bootstrapTokens: !!opts.enableBootstrapTokenAuth, anonymous: !!opts.anonymous, storage },
    authorizer: opts.authorization === 'RBAC' ? new RbacAuthorizer(storage, opts.nodeAuthorizer === false ? undefined : new NodeAuthorizer(storage)) : undefined,
    watch: { bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 10_000, defaultTimeoutSeconds: opts.watchTimeoutSeconds, open: openWatches },
    serverAddress: () => `${hostForUrl}:${port}`,
    requestTimeoutMs: (opts.requestTimeoutSeconds ?? 60) * 1000,
    ...(opts.kubernetesVersion ? { version: versionInfo(opts.kubernetesVersion) } : {}),
  }, logger);

  const server: Server = createServer({
    cert: pki.serving.certPem,
    key: pki.serving.keyPem,
    ca: pki.clientCA.certPem,
    requestCert: true,
    rejectUnauthorized: false,
    keepAlive: true,
    noDelay: true,
  }, handler.handle);
  // Watches are long requests; node's default 5-minute request timeout would cut them.
  server.requestTimeout = 0;
  server.timeout = 0;
  server.keepAliveTimeout = 90_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerClientError(err, socket));
  // closeAllConnections() only knows connections the HTTP layer has seen; a socket still in its TLS handshake
  // (or idle before its first request) would keep server.close() waiting for ever. Track them all.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, bindAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `https://${hostForUrl}:${port}`;
  logger.info({ url, dataDir: opts.dataDir ?? null, rv: storage.currentRV() }, 'API server listening');

  let admin: string | undefined;
  const adminKubeconfig = (): string => {
    if (!admin) {
      const cred = adminCredentials(pki, opts.dataDir);
      admin = kubeconfigYaml({ clusterName: 'clusterd', server: url, caPem: pki.caPem, userName: 'kubernetes-admin', clientCertPem: cred.certPem, clientKeyPem: cred.keyPem });
    }
    return admin;
  };
  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    caPem: pki.caPem,
    storage,
    adminKubeconfig,
    kubeConfig: () => {
      const kc = new KubeConfig();
      kc.loadFromString(adminKubeconfig());
      return kc;
    },
    close: () => {
      closed ??= (async () => {
        for (const c of [...openWatches]) c();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
          for (const socket of sockets) socket.destroy();
        });
        gc.close();
        watchCache.close();
        registry.close();
        if (ownsStorage) storage.close();
      })();
      return closed;
    },
  };
}
