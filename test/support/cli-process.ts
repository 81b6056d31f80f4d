/**
 * Runs the `clusterd` command line as a person would: a child process whose output is a pipe, or a terminal (a
 * pty from util-linux's `script`), so that the TTY paths (colour, progress redraws) are exercised for real.
 */
import { spawn } from 'node:child_process';
import { cliPath } from '../../lib/paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface CliRun {
  result: Promise<CliResult>;
  /** Output so far (stdout and, on a pty, everything the terminal shows). */
  output(): string;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts `clusterd ARGS`. With tty, it runs inside `script -qec` so its stdout and stderr are a terminal of
 * 200 columns; what the terminal shows comes back as stdout (stderr then stays empty).
 */
export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv; tty?: boolean; stdin?: string } = {}): CliRun {
  // No KUBECONFIG or NO_COLOR from the test's own environment: each test says what it means.
  const { NO_COLOR: _noColour, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, KUBECONFIG: '', ...opts.env };
  const command = [process.execPath, cliPath(), ...args].map(quote).join(' ');
  const child = opts.tty
    ? spawn('script', ['-qefc', `stty cols 200 rows 50; exec ${command}`, '/dev/null'], { env: { ...env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [cliPath(), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
  else if (!opts.tty) child.stdin.end();
  const result = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { result, output: () => stdout, kill: (signal = 'SIGINT') => child.kill(signal) };
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; tty?: boolean; stdin?: string } = {}): Promise<CliResult> {
  return startCli(args, opts).result;
}

/** What a terminal would show without its escape sequences. */
// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
