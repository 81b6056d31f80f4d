/**
 * The provider's detached processes (machine supervisors, load balancers): started in their own session so they
 * outlive the daemon, found again by pid plus a marker in their command line (a recycled pid is not mistaken for
 * them), stopped with SIGTERM and then SIGKILL.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';

export function startDetached(argv: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): number {
  const out = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, out], env });
    if (child.pid === undefined) throw new Error(`${argv[0]}: could not start`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** True when pid is alive and its command line contains marker. */
export function isRunning(pid: number | undefined, marker: string): boolean {
  if (!pid) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie (state Z) has exited; only its parent has not reaped it yet.
    if (/\) Z /.test(stat)) return false;
    return cmdline.split('\0').includes(marker);
  } catch {
    return false;
  }
}

/** The direct children of pid. */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/**
 * Stops a detached process: SIGTERM to the processes politeTargets names (default: the process itself), SIGKILL to
 * the process after graceMs. Resolves once it is gone (never hangs: a process that survives SIGKILL is reported).
 */
export async function stopDetached(pid: number | undefined, marker: string, graceMs: number, politeTargets?: () => number[]): Promise<void> {
  if (!isRunning(pid, marker)) return;
  const deadline = Date.now() + graceMs;
  // Repeated: a pid 1 that has not installed its handler yet (still starting) ignores the signal.
  for (let n = 0; Date.now() < deadline && isRunning(pid, marker); n++) {
    if (n % 10 === 0) for (const p of politeTargets?.() ?? [pid!]) signal(p, 'SIGTERM');
    await sleep(100);
  }
  if (!isRunning(pid, marker)) return;
  signal(pid!, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (Date.now() < killDeadline && isRunning(pid, marker)) await sleep(50);
  if (isRunning(pid, marker)) throw new Error(`process ${pid} did not die after SIGKILL`);
}
