// A cluster initialised by `clusterd agent init` against the embedded API server, for the agent's integration tests:
// the certs phase runs first so the stand-in API server serves with the apiserver certificate init then reuses.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificatesV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { runAgent } from '../../bootstrap/agent.js';
import { detectHost, type HostFacts } from '../../bootstrap/host.js';
import { startHealthServer } from '../../providers/inmemory/healthz.js';
import { caCertHash, signCsr } from '../../lib/pki.js';
import { EtcdStandIn } from './etcd-stand-in.js';

export interface Captured {
  io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } };
  text(): string;
}

export function capture(): Captured {
  let buf = '';
  const w = { write: (s: string): boolean => { buf += s; return true; } };
  return { io: { stdout: w, stderr: w }, text: () => buf };
}

/**
 * This test process's stand-in for a control-plane node's loopback: the kube-controller-manager, kube-scheduler and
 * etcd (metrics) a node's static Pods would start answer their health checks here (WaitForAllControlPlaneComponents,
 * a learner's promotion), on an address
 * of this process's own so that test files running side by side do not collide.
 */
export const LOOPBACK = `127.${64 + (process.pid % 64)}.${1 + ((process.pid >> 6) % 250)}.1`;
let standIns: Promise<unknown> | undefined;
function componentStandIns(): Promise<unknown> {
  standIns ??= Promise.all([
    // unref'd: they live as long as this test process, and must not keep it from exiting
    startHealthServer(LOOPBACK, 10257, { unref: true }), startHealthServer(LOOPBACK, 10259, { unref: true }),
    startHealthServer(LOOPBACK, 2381, { scheme: 'http', unref: true }),
  ]);
  return standIns;
}
/** The host the agent runs on in these tests: this process's, with LOOPBACK as its loopback. */
export const agentHost = (): HostFacts => ({ ...detectHost(), loopback: LOOPBACK });
/** The preflight port checks the stand-ins above would trip (they are up before init's preflight, unlike real Pods). */
export const STAND_IN_PORTS = 'Port-10257,Port-10259';

/** Runs the agent and returns its output; fails the test on a non-zero exit. */
export async function agent(args: string[]): Promise<string> {
  await componentStandIns();
  const c = capture();
  const code = await runAgent(args, c.io, { host: agentHost() });
  assert.equal(code, 0, `clusterd agent ${args.join(' ')} failed:\n${c.text()}`);
  return c.text();
}

/** Runs the agent expecting failure; returns its output. */
export async function agentFails(args: string[]): Promise<string> {
  await componentStandIns();
  const c = capture();
  const code = await runAgent(args, c.io, { host: agentHost() });
  assert.equal(code, 1, `clusterd agent ${args.join(' ')} should have failed:\n${c.text()}`);
  return c.text();
}

export interface InitCluster {
  base: string;
  /** The init machine's --root. */
  rootA: string;
  endpoint: string;
  token: string;
  hash: string;
  caPem: string;
  certificateKey: string;
  initOutput: string;
  kc: KubeConfig;
  core: CoreV1Api;
  /** Approves and signs every pending CSR with the cluster CA until close(), as the controller-manager would. */
  startApprover(): void;
  /** The nodes' stacked etcd: members start when a root under base gets its etcd manifest. */
  etcd: EtcdStandIn;
  close(): Promise<void>;
}

/**
 * Stand-ins for the API servers a joining control plane's static Pod would start at its own address (same port, same
 * store, the init node's serving certificate, which carries those addresses as SANs): its kubelet talks to its local
 * API server (ControlPlaneKubeletLocalMode), so one must answer there.
 */
export async function standInMembers(server: RunningApiServer, pki: (f: string) => string, addresses: string[]): Promise<RunningApiServer[]> {
  return Promise.all(addresses.map((bindAddress) => startApiServer({
    port: server.port, bindAddress, storage: server.storage, authorization: 'RBAC', enableBootstrapTokenAuth: true, anonymous: true,
    tls: { certPem: readFileSync(pki('apiserver.crt'), 'utf8'), keyPem: readFileSync(pki('apiserver.key'), 'utf8') },
    clientCA: { certPem: readFileSync(pki('ca.crt'), 'utf8'), keyPem: readFileSync(pki('ca.key'), 'utf8') },
  })));
}

export async function initCluster(extraInitArgs: string[] = []): Promise<InitCluster> {
  const base = mkdtempSync(join(tmpdir(), 'clusterd-bootstrap-'));
  const rootA = join(base, 'a');
  const pki = (f: string): string => join(rootA, 'etc/kubernetes/pki', f);
  const token = 'abcdef.0123456789abcdef';
  await agent(['phase', 'certs', '--root', rootA, '--node-name', 'cp-0', '--apiserver-advertise-address', '127.0.0.1',
    // the stand-in API server also answers for the joining control planes' own addresses: their kubelets talk to it there
    '--apiserver-cert-extra-sans', '127.0.0.2,127.0.0.3']);
  const server = await startApiServer({
    port: 0, bindAddress: '127.0.0.1', authorization: 'RBAC', enableBootstrapTokenAuth: true, anonymous: true,
    tls: { certPem: readFileSync(pki('apiserver.crt'), 'utf8'), keyPem: readFileSync(pki('apiserver.key'), 'utf8') },
    clientCA: { certPem: readFileSync(pki('ca.crt'), 'utf8'), keyPem: readFileSync(pki('ca.key'), 'utf8') },
  });
  const approver = new AbortController();
  const kc = new KubeConfig();
  kc.loadFromString(server.adminKubeconfig());
  const core = kc.makeApiClient(CoreV1Api);
  const members = await standInMembers(server, pki, ['127.0.0.2', '127.0.0.3']);
  const etcd = new EtcdStandIn(core, LOOPBACK, base);
  const close = async (): Promise<void> => {
    approver.abort();
    await etcd.close();
    await Promise.all(members.map((m) => m.close()));
    await server.close();
    rmSync(base, { recursive: true, force: true });
  };
  try {
    const endpoint = `127.0.0.1:${server.port}`;
    await core.createNode({ body: { metadata: { name: 'cp-0' } } });
    const initOutput = await agent([
      'init', '--root', rootA, '--node-name', 'cp-0', '--apiserver-advertise-address', '127.0.0.1', '--apiserver-bind-port', String(server.port),
      '--control-plane-endpoint', endpoint, '--token', token, '--upload-certs', `--ignore-preflight-errors=Port-${server.port},${STAND_IN_PORTS}`, ...extraInitArgs,
    ]);
    const certificateKey = /--certificate-key ([0-9a-f]{64})/.exec(initOutput)?.[1];
    assert.ok(certificateKey, 'init prints a certificate key');
    const caPem = readFileSync(pki('ca.crt'), 'utf8');
    const caKeyPem = readFileSync(pki('ca.key'), 'utf8');
    const startApprover = (): void => {
      approveCsrs(kc, { certPem: caPem, keyPem: caKeyPem }, approver.signal);
    };
    return { base, rootA, endpoint, token, hash: caCertHash(caPem), caPem, certificateKey, initOutput, kc, core, startApprover, etcd, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Stand-in for the CSR approver and signer: until signal aborts, approves every pending CSR and signs it with the
 * cluster CA. Returns the names it signed, as it signs them.
 */
export function approveCsrs(kc: KubeConfig, ca: { certPem: string; keyPem: string }, signal: AbortSignal): string[] {
  const certsApi = kc.makeApiClient(CertificatesV1Api);
  const approved: string[] = [];
  void (async () => {
    while (!signal.aborted) {
      try {
        for (const csr of (await certsApi.listCertificateSigningRequest()).items) {
          if (csr.status?.certificate) continue;
          const name = csr.metadata!.name!;
          csr.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'TestApprove', message: 'approved by the test' }] };
          const after = await certsApi.replaceCertificateSigningRequestApproval({ name, body: csr });
          const pem = signCsr(Buffer.from(after.spec.request, 'base64').toString(), ca, ['client']);
          after.status = { ...after.status, certificate: Buffer.from(pem).toString('base64') };
          await certsApi.replaceCertificateSigningRequestStatus({ name, body: after });
          approved.push(name);
        }
      } catch {
        // a race with the agent's own reads, or the server closing; try again
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return approved;
}
