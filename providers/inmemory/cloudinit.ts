/**
 * Executes a machine's `#cloud-config` user-data the way cloud-init would on first boot, against the
 * machine's root directory: users, write_files (permissions, encodings, append, defer), runcmd. Commands
 * that invoke `clusterd agent` run in-process with `--root` pointing at the machine's root (the machine
 * image ships the agent, as Cluster API images ship kubeadm); anything else is only recorded in
 * <root>/var/log/cloud-init-output.log, since the simulated machine has no shell.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';

import { writeFiles, type BootResult, type WriteFile } from '../shared/write-files.js';

export type { WriteFile };

export interface CloudUser {
  name: string;
  ssh_authorized_keys?: string[];
  [key: string]: unknown;
}

export interface CloudConfig {
  write_files: WriteFile[];
  runcmd: (string | string[])[];
  users: (string | CloudUser)[];
}

/** Reads `#cloud-config` user-data; errors name the offending key. */
export function parseUserData(text: string): CloudConfig {
  if (!text.startsWith('#cloud-config')) throw new Error('user-data: only "#cloud-config" documents are supported');
  const doc = yaml.load(text) as Record<string, unknown> | null;
  if (doc !== null && (typeof doc !== 'object' || Array.isArray(doc))) throw new Error('user-data: not a YAML mapping');
  const cfg: CloudConfig = { write_files: [], runcmd: [], users: [] };
  const wf = doc?.write_files ?? [];
  if (!Array.isArray(wf)) throw new Error('user-data: write_files: must be a list');
  wf.forEach((f: unknown, i) => {
    if (!f || typeof f !== 'object' || typeof (f as WriteFile).path !== 'string') throw new Error(`user-data: write_files[${i}].path: Required value`);
    cfg.write_files.push(f as WriteFile);
  });
  const rc = doc?.runcmd ?? [];
  if (!Array.isArray(rc)) throw new Error('user-data: runcmd: must be a list');
  rc.forEach((c: unknown, i) => {
    if (typeof c === 'string' || (Array.isArray(c) && c.every((a) => typeof a === 'string'))) cfg.runcmd.push(c as string | string[]);
    else throw new Error(`user-data: runcmd[${i}]: must be a string or a list of strings`);
  });
  const us = doc?.users ?? [];
  if (!Array.isArray(us)) throw new Error('user-data: users: must be a list');
  cfg.users = us as (string | CloudUser)[];
  return cfg;
}

/** Splits a shell command line into words: quotes and backslashes, no expansion. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in: ${line}`);
  if (inWord) words.push(cur);
  return words;
}

/** Splits `a && b` chains; other shell syntax makes the entry a plain recorded command. */
function andChain(entry: string): string[] {
  return entry.split(/\s+&&\s+/);
}

/** Runs `clusterd agent <args>` in-process; resolves to the exit code. */
export type AgentRunner = (
  args: string[],
  io: { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } },
  host?: { hostname: string; defaultAddress: string; loopback?: string },
) => Promise<number>;

export interface RunOptions {
  root: string;
  runAgent: AgentRunner;
  /** The simulated machine's hostname and address, which kubeadm would read from the host it runs on. */
  host?: { hostname: string; defaultAddress: string; loopback?: string };
}

/** False when an agent command failed; the machine then never joins, as with a real failed cloud-init. */
export type RunResult = BootResult;

/**
 * The error lines of an agent's output ("error: ..." and kubeadm-style "[ERROR Name]: ..." preflight lines), for a
 * failure message; the agent never prints tokens or keys in its errors.
 */
export function agentErrorSummary(output: string, max = 600): string {
  const lines = output.split('\n').map((l) => l.trim())
    .filter((l) => /^error: |^\[ERROR [^\]]+\]:/.test(l) && !/Some fatal errors occurred:$/.test(l));
  const text = lines.map((l) => l.replace(/^error: /, '')).join('; ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export const CLOUD_INIT_LOG = 'var/log/cloud-init-output.log';
export const BOOT_FINISHED = 'var/lib/cloud/instance/boot-finished';

/** Runs cloud-init's modules for config against root. Never throws for a bad entry: it is logged and fails the run. */
export async function runCloudInit(cfg: CloudConfig, opts: RunOptions): Promise<RunResult> {
  const logPath = join(opts.root, CLOUD_INIT_LOG);
  mkdirSync(dirname(logPath), { recursive: true });
  // kubeadm prints the join token and certificate key into this log: cloud-init keeps it 0600 (root only), and an
  // existing file from before is tightened too.
  if (!existsSync(logPath)) writeFileSync(logPath, '', { mode: 0o600 });
  chmodSync(logPath, 0o600);
  const log = (s: string): void => appendFileSync(logPath, s.endsWith('\n') ? s : `${s}\n`, { mode: 0o600 });
  const io = { stdout: { write: (s: string) => log(s) }, stderr: { write: (s: string) => log(s) } };
  log(`Cloud-init v. 24.1 (clusterd inmemory) running 'modules:config' at ${new Date().toISOString()}`);

  for (const u of cfg.users) {
    if (u === 'default' || typeof u === 'string') continue;
    const home = join(opts.root, 'home', u.name);
    mkdirSync(join(home, '.ssh'), { recursive: true });
    if (u.ssh_authorized_keys?.length) writeFileSync(join(home, '.ssh', 'authorized_keys'), u.ssh_authorized_keys.join('\n') + '\n', { mode: 0o600 });
    log(`users: created user ${u.name}`);
  }

  const writeAll = (deferred: boolean): RunResult => writeFiles(cfg.write_files, deferred, { root: opts.root, log, noteOwner: true });

  const first = writeAll(false);
  if (!first.ok) return first;

  for (const entry of cfg.runcmd) {
    const steps = Array.isArray(entry) ? [entry] : andChain(entry).map((s) => s.trim());
    for (const step of steps) {
      let argv: string[];
      try {
        argv = Array.isArray(step) ? step : shellWords(step);
      } catch {
        log(`runcmd (recorded, not run): ${String(step)}`);
        break;
      }
      const agent = agentArgs(argv);
      if (!agent) {
        log(`runcmd (recorded, not run): ${argv.join(' ')}`);
        continue;
      }
      log(`runcmd: clusterd ${agent.join(' ')} --root ${opts.root}`);
      let code: number;
      let output = '';
      const stepIO = {
        stdout: { write: (s: string) => { output += s; return io.stdout.write(s); } },
        stderr: { write: (s: string) => { output += s; return io.stderr.write(s); } },
      };
      try {
        code = await opts.runAgent([...agent, '--root', opts.root], stepIO, opts.host);
      } catch (err) {
        stepIO.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
        code = 1;
      }
      if (code !== 0) {
        log(`runcmd: clusterd ${agent[0] ?? ''} ${agent[1] ?? ''} exited with ${code}`);
        const why = agentErrorSummary(output);
        return { ok: false, failed: `clusterd ${agent.slice(0, 2).join(' ')} exited with ${code}${why ? `: ${why}` : ''}` };
      }
    }
  }

  const last = writeAll(true);
  if (!last.ok) return last;
  const finished = join(opts.root, BOOT_FINISHED);
  mkdirSync(dirname(finished), { recursive: true });
  writeFileSync(finished, `${Date.now() / 1000} up\n`);
  log(`Cloud-init v. 24.1 (clusterd inmemory) finished at ${new Date().toISOString()}`);
  return { ok: true };
}

/** `clusterd agent init ...` (any path to the binary, optionally after `sudo`/`env`) → ['agent', 'init', ...]. */
function agentArgs(argv: string[]): string[] | undefined {
  let i = 0;
  while (argv[i] === 'sudo' || argv[i] === 'env' || /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i] ?? '')) i++;
  const bin = argv[i];
  if (!bin || !(bin === 'clusterd' || bin.endsWith('/clusterd'))) return undefined;
  if (argv[i + 1] !== 'agent') return undefined;
  return argv.slice(i + 1);
}
