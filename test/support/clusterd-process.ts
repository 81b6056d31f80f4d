/** Child-process helpers for the daemon and end-to-end tests: free ports, spawning `clusterd`, waiting for exit. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { cliPath } from '../../lib/paths.js';
import { reap } from './reaper.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Daemon {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The output a Daemon keeps (its tail): enough for a failure message, bounded for long runs. */
const KEPT_OUTPUT = 1_000_000;

/** Starts `clusterd ARGS` with no KUBECONFIG from the test's environment; onOutput sees every chunk. */
export function spawnClusterd(args: string[], env: NodeJS.ProcessEnv = {}, onOutput?: (chunk: Buffer) => void): Daemon {
  const child = reap(spawn(process.execPath, [cliPath(), ...args], {
    env: { ...process.env, KUBECONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-KEPT_OUTPUT);
    onOutput?.(d);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

/** Kills the child if it is still running (test cleanup). */
export async function ensureDead(d: Daemon): Promise<void> {
  if (d.child.exitCode === null && d.child.signalCode === null) {
    d.child.kill('SIGKILL');
    await d.exited;
  }
}
