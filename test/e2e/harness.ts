/**
 * End-to-end harness: a real `clusterd run` (embedded API server, in-memory provider) in a temp data dir,
 * driven with the real kubectl, which can be SIGKILLed and restarted on the same data dir (scenario 6).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cliPath, repoRoot } from '../../lib/paths.js';

const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class E2E {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'clusterd-e2e-'));
  readonly kubeconfig = join(this.dataDir, 'kubeconfig');
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private out = '';
  private port = 0;

  /** Starts (or restarts) the daemon on the same data dir and API server port. */
  async start(): Promise<void> {
    this.port ||= await freePort();
    const child = spawn(process.execPath, [cliPath(), 'run', '--data-dir', this.dataDir, '--apiserver-port', String(this.port),
      '--metrics-bind-address', '0', '--health-probe-bind-address', '0', '--concurrency', '4'], {
      env: { ...process.env, KUBECONFIG: '', CLUSTERD_LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    this.child = child;
    await this.until('the API server answers', async () => existsSync(this.kubeconfig) && (await this.kubectl('get', 'crd', '-o', 'name')).includes('clusters.clusterd.dev'), 60_000);
  }

  /** SIGKILL: no graceful shutdown, as a crash. */
  async kill(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  output(): string {
    return this.out;
  }

  async kubectl(...args: string[]): Promise<string> {
    return (await run('kubectl', ['--kubeconfig', this.kubeconfig, ...args], { maxBuffer: 32 * 1024 * 1024 })).stdout;
  }

  /** kubectl against a workload cluster, with `clusterd get kubeconfig NAME`. */
  async workloadKubectl(cluster: string, ...args: string[]): Promise<string> {
    const { stdout } = await run(process.execPath, [cliPath(), 'get', 'kubeconfig', cluster, '--kubeconfig', this.kubeconfig]);
    const file = join(this.dataDir, `${cluster}.kubeconfig`);
    writeFileSync(file, stdout, { mode: 0o600 });
    return (await run('kubectl', ['--kubeconfig', file, ...args])).stdout;
  }

  async apply(file: string): Promise<void> {
    await this.kubectl('apply', '-f', join(repoRoot(), file));
  }

  async jsonpath(args: string[], path: string): Promise<string> {
    return this.kubectl(...args, '-o', `jsonpath=${path}`);
  }

  async until(what: string, fn: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        if (await fn()) return;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}\n--- daemon output (tail) ---\n${this.out.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async close(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Rows of `kubectl get nodes --no-headers` whose STATUS is Ready. */
export function countReady(table: string): number {
  return table.split('\n').filter((l) => /\sReady\s/.test(l)).length;
}
