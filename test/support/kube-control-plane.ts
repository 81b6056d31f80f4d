/**
 * A real Kubernetes control plane for tests, as controller-runtime's envtest starts one: etcd, kube-apiserver and
 * kube-controller-manager from the binaries tools/kube/build.sh compiled (lib/kube-binaries.ts), on loopback, with a
 * PKI generated here. The controller-manager is there because a real API server leaves garbage collection,
 * namespace deletion and service-account tokens to it: code that only works because the embedded API server
 * does those itself fails here.
 *
 * A missing binary is an error that says how to build it, never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KUBE_TEST_VERSION, kubeBinary, type KubeBinary } from '../../lib/kube-binaries.js';
import { kubeconfigYaml } from '../../lib/kubeconfig.js';
import { newPrivateKey, newSelfSignedCA, publicKeyPem, signCert, type CertAndKey } from '../../lib/pki.js';
import { freePort } from './clusterd-process.js';
import { sleep } from './eventually.js';
import { reap } from './reaper.js';

export interface KubeControlPlaneOptions {
  /** Kubernetes version of the binaries (default KUBE_TEST_VERSION). */
  version?: string;
  /** Start kube-controller-manager too (default true). */
  controllerManager?: boolean;
  /** Extra kube-apiserver flags, name → value. */
  apiserverFlags?: Record<string, string>;
}

interface Proc {
  name: KubeBinary;
  child: ChildProcess;
  out: string;
  exited: Promise<void>;
}

const KEPT = 64 * 1024;

export class KubeControlPlane {
  readonly dir = mkdtempSync(join(tmpdir(), 'clusterd-kube-'));
  readonly version: string;
  /** The admin kubeconfig (client certificate in system:masters). */
  readonly adminKubeconfig = join(this.dir, 'admin.kubeconfig');
  url = '';
  ca!: CertAndKey;
  private admin!: CertAndKey;
  private readonly procs: Proc[] = [];

  private constructor(private readonly opts: KubeControlPlaneOptions) {
    this.version = opts.version ?? KUBE_TEST_VERSION;
  }

  static async start(opts: KubeControlPlaneOptions = {}): Promise<KubeControlPlane> {
    const cp = new KubeControlPlane(opts);
    try {
      await cp.boot();
    } catch (err) {
      await cp.stop();
      throw err;
    }
    return cp;
  }

  /** A fresh KubeConfig for the admin identity. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.adminKubeconfig);
    return kc;
  }

  /** A kubeconfig for a bearer token (a ServiceAccount's, from the TokenRequest API). */
  tokenKubeconfig(file: string, user: string, token: string): string {
    writeFileSync(file, kubeconfigYaml({ clusterName: 'kube', server: this.url, caPem: this.ca.certPem, userName: user, token }), { mode: 0o600 });
    return file;
  }

  /** The last output of every component, for a failure message. */
  logs(): string {
    return this.procs.map((p) => `--- ${p.name} ---\n${p.out.slice(-4000)}`).join('\n');
  }

  async stop(): Promise<void> {
    // Reverse order: the controller-manager and API server go before etcd.
    for (const p of [...this.procs].reverse()) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGTERM');
        const killed = setTimeout(() => p.child.kill('SIGKILL'), 5000);
        await p.exited;
        clearTimeout(killed);
      }
    }
    if (process.env.E2E_KEEP) process.stderr.write(`kube control plane: kept ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  private async boot(): Promise<void> {
    const pki = join(this.dir, 'pki');
    mkdirSync(pki, { recursive: true, mode: 0o700 });
    const file = (name: string, content: string): string => {
      const path = join(pki, name);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    };
    this.ca = newSelfSignedCA('kubernetes');
    const serving = signCert({ commonName: 'kube-apiserver', altNames: ['localhost', '127.0.0.1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', '10.0.0.1'], usages: ['server'] }, this.ca);
    this.admin = signCert({ commonName: 'kubernetes-admin', organization: ['system:masters'], usages: ['client'] }, this.ca);
    const saKey = newPrivateKey();
    const caFile = file('ca.crt', this.ca.certPem);
    file('ca.key', this.ca.keyPem);

    // etcd: plain HTTP on loopback, as envtest runs it; only this host's processes reach it.
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    this.spawn('etcd', [
      `--data-dir=${join(this.dir, 'etcd')}`, `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`, '--unsafe-no-fsync=true', '--log-level=warn',
    ]);

    this.url = `https://127.0.0.1:${apiPort}`;
    const flags: Record<string, string> = {
      'etcd-servers': etcdUrl,
      'bind-address': '127.0.0.1',
      'advertise-address': '127.0.0.1',
      // kube-apiserver refuses to publish a loopback address as the kubernetes Service's endpoint; nothing here
      // reaches the API server through that Service.
      'endpoint-reconciler-type': 'none',
      'secure-port': String(apiPort),
      'cert-dir': pki,
      'tls-cert-file': file('apiserver.crt', serving.certPem),
      'tls-private-key-file': file('apiserver.key', serving.keyPem),
      'client-ca-file': caFile,
      'service-account-issuer': 'https://kubernetes.default.svc.cluster.local',
      'service-account-key-file': file('sa.pub', publicKeyPem(saKey)),
      'service-account-signing-key-file': file('sa.key', saKey),
      'service-cluster-ip-range': '10.0.0.0/24',
      'authorization-mode': 'Node,RBAC',
      'enable-admission-plugins': 'NodeRestriction',
      'allow-privileged': 'true',
      ...this.opts.apiserverFlags,
    };
    this.spawn('kube-apiserver', Object.entries(flags).map(([k, v]) => `--${k}=${v}`));
    writeFileSync(this.adminKubeconfig, kubeconfigYaml({
      clusterName: 'kube', server: this.url, caPem: this.ca.certPem, userName: 'kubernetes-admin',
      clientCertPem: this.admin.certPem, clientKeyPem: this.admin.keyPem,
    }), { mode: 0o600 });
    await this.waitHealthy('kube-apiserver', apiPort, '/readyz', 90_000);

    if (this.opts.controllerManager ?? true) {
      const kcmPort = await freePort();
      this.spawn('kube-controller-manager', [
        `--kubeconfig=${this.adminKubeconfig}`, `--authentication-kubeconfig=${this.adminKubeconfig}`,
        `--authorization-kubeconfig=${this.adminKubeconfig}`, '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`,
        `--service-account-private-key-file=${join(pki, 'sa.key')}`, `--root-ca-file=${caFile}`,
        '--use-service-account-credentials=true', '--leader-elect=false', '--controllers=*,bootstrapsigner,tokencleaner',
        `--cluster-signing-cert-file=${caFile}`, `--cluster-signing-key-file=${join(pki, 'ca.key')}`,
      ]);
      await this.waitHealthy('kube-controller-manager', kcmPort, '/healthz', 60_000);
    }
  }

  private spawn(name: KubeBinary, args: string[]): void {
    // A test process that dies must not leave a control plane behind.
    const child = reap(spawn(kubeBinary(this.version, name), args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] }));
    const p: Proc = { name, child, out: '', exited: new Promise((r) => child.on('exit', () => r())) };
    const keep = (d: Buffer): void => {
      p.out = (p.out + d.toString()).slice(-KEPT);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.procs.push(p);
  }

  /** Polls an HTTPS health endpoint with the admin identity until it answers 200 ok. */
  private async waitHealthy(name: KubeBinary, port: number, path: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const proc = this.procs.find((p) => p.name === name)!;
      if (proc.child.exitCode !== null) throw new Error(`${name} exited with ${proc.child.exitCode}:\n${proc.out.slice(-4000)}`);
      last = await this.get(port, path).catch((err: Error) => err.message);
      if (last === 'ok') return;
      if (Date.now() > end) throw new Error(`${name} not healthy after ${timeoutMs} ms (${path}: ${last}):\n${this.logs()}`);
      await sleep(250);
    }
  }

  private get(port: number, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: 5000,
        ca: this.ca.certPem, cert: this.admin.certPem, key: this.admin.keyPem,
        // The controller-manager serves a self-signed certificate of its own.
        rejectUnauthorized: port === Number(new URL(this.url).port),
      }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : `HTTP ${res.statusCode}: ${body.slice(0, 500)}`));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }
}
