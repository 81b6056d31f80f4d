/**
 * Health endpoints of simulated control-plane components, as the real ones serve them: kube-controller-manager and
 * kube-scheduler answer /healthz, /livez and /readyz over HTTPS with a self-signed certificate; etcd answers /health
 * (JSON) over HTTP on its --listen-metrics-urls. kubeadm-style waits (WaitForAllControlPlaneComponents, a learner's
 * promotion) therefore have something real to ask. They listen where the static Pod's flags say, with 127.0.0.1 read
 * as the simulated machine's own address.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { newSelfSignedCA, type CertAndKey } from '../../lib/pki.js';

let serving: CertAndKey | undefined;
/** One self-signed certificate for every simulated component (kubeadm's check does not verify it). */
function servingCert(): CertAndKey {
  serving ??= newSelfSignedCA('clusterd-simulated-component');
  return serving;
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export interface HealthOptions {
  /** 'https' (default): a Kubernetes component; 'http': etcd's metrics listener. */
  scheme?: 'http' | 'https';
  /** Whether the component reports healthy now (default: always). */
  healthy?: () => boolean;
  /** Do not keep the process alive for this server (test stand-ins that live as long as their process). */
  unref?: boolean;
}

export async function startHealthServer(host: string, port: number, opts: HealthOptions = {}): Promise<HealthServer> {
  const healthy = opts.healthy ?? (() => true);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/health') {
      // etcd's /health: {"health":"true"} with 200, or "false" with 503
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ health: String(ok), reason: ok ? '' : 'not caught up with the leader yet' }));
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      const ok = healthy();
      res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(ok ? 'ok' : 'not ok');
      return;
    }
    res.writeHead(404).end();
  };
  const scheme = opts.scheme ?? 'https';
  const server: HttpServer = scheme === 'https' ? createHttpsServer({ cert: servingCert().certPem, key: servingCert().keyPem }, handle) : createHttpServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  if (opts.unref) server.unref();
  return {
    url: `${scheme}://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
