/**
 * One container of a static Pod, run as a process: in a mount namespace of its own (a copy of the machine's) where its
 * hostPath volumes are bound at their mountPath (read-only where declared), with the image's binaries first on PATH
 * and the command and args exactly as the manifest has them. Its output goes to /var/log/pods in the CRI log format.
 * Startup, liveness and readiness probes run as the kubelet's do; a failed liveness or startup probe, or an exit,
 * restarts it after the kubelet's back-off (restartPolicy Always, as static Pods have).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { ResolvedImage } from './images.js';

export interface Probe {
  httpGet?: { host?: string; path?: string; port: number | string; scheme?: string };
  tcpSocket?: { host?: string; port: number | string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; [other: string]: unknown } }[];
  workingDir?: string;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  /** Named ports: a probe may name one (kubeadm's probes use "probe-port"). */
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

export interface Bind {
  source: string;
  target: string;
  readOnly: boolean;
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; signal?: number; reason: string; startedAt: string; finishedAt: string; message?: string } };

// The shell that builds the container's mounts and then becomes its command: arguments are triples
// (source, target, ro|rw) up to "--", then the command. Paths travel as arguments, never inside the script.
const MOUNT_SCRIPT = [
  'set -e',
  'while [ "$1" != "--" ]; do',
  '  src=$1; dst=$2; mode=$3; shift 3',
  '  if [ -d "$src" ]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")"; [ -e "$dst" ] || : > "$dst"; fi',
  '  mount --bind "$src" "$dst"',
  '  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$dst"; fi',
  'done',
  'shift',
  'exec "$@"',
].join('\n');

const INITIAL_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 300_000;
/** A container that ran this long without trouble starts its back-off over, as the kubelet does. */
const BACKOFF_RESET_MS = 600_000;
const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export interface ContainerOptions {
  spec: ContainerSpec;
  image: ResolvedImage;
  binds: Bind[];
  /** /var/log/pods/<ns>_<pod>_<uid>/<container> */
  logDir: string;
  /** Where an httpGet probe without host goes (the Pod's IP: the machine's, with hostNetwork). */
  podIP: string;
  onChange: () => void;
  /** The argv, expanded (container-env.ts); default: command or the image's binary, then args, as written. */
  argv?: string[];
  /** The environment from the spec, resolved (container-env.ts); default: the spec's plain values. */
  env?: Record<string, string>;
  terminationGraceMs?: number;
}

export class ProcessContainer {
  state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: ContainerState | undefined;
  restartCount = 0;
  ready = false;
  started = false;
  pid?: number;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stopped = false;
  private timers = new Set<NodeJS.Timeout>();
  private startedAtMs = 0;
  private backoffMs = INITIAL_BACKOFF_MS;
  private generation = 0;

  constructor(private readonly o: ContainerOptions) {}

  get name(): string {
    return this.o.spec.name;
  }

  get containerID(): string | undefined {
    return this.pid ? `process://${this.pid}` : undefined;
  }

  start(): void {
    if (this.stopped) return;
    const gen = ++this.generation;
    const s = this.o.spec;
    const command = this.o.argv ?? [...(s.command?.length ? s.command : [this.o.image.binary]), ...(s.args ?? [])];
    const env: NodeJS.ProcessEnv = {
      PATH: `${this.o.image.binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: '/root',
    };
    if (this.o.env) Object.assign(env, this.o.env);
    else for (const e of s.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const mountArgs = this.o.binds.flatMap((b) => [b.source, b.target, b.readOnly ? 'ro' : 'rw']);
    mkdirSync(this.o.logDir, { recursive: true });
    const logPath = join(this.o.logDir, `${this.restartCount}.log`);
    const fd = openSync(logPath, 'a');
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', MOUNT_SCRIPT, 'sh', ...mountArgs, '--', ...command], {
      stdio: ['ignore', 'pipe', 'pipe'], env, cwd: s.workingDir || '/',
    });
    this.child = child;
    this.pid = child.pid;
    this.startedAtMs = Date.now();
    const startedAt = now();
    this.state = { running: { startedAt } };
    this.ready = false;
    this.started = false;
    const criLog = (stream: 'stdout' | 'stderr') => {
      let partial = '';
      return (chunk: Buffer): void => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) writeSync(fd, `${new Date().toISOString()} ${stream} F ${l}\n`);
      };
    };
    child.stdout!.on('data', criLog('stdout'));
    child.stderr!.on('data', criLog('stderr'));
    this.exited = new Promise<void>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        closeSync(fd);
        this.child = undefined;
        this.pid = undefined;
        const exitCode = code ?? 128 + (signal ? (({ SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1) : 1);
        const term = { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: now() } };
        this.lastState = term;
        this.ready = false;
        if (this.stopped || gen !== this.generation) {
          this.state = term;
        } else {
          this.scheduleRestart(`back-off restarting failed container ${s.name}`);
        }
        this.o.onChange();
        resolve();
      };
      child.on('exit', done);
      child.on('error', () => done(127, null));
    });
    this.o.onChange();
    this.startProbes(gen);
  }

  private scheduleRestart(message: string): void {
    if (Date.now() - this.startedAtMs > BACKOFF_RESET_MS) this.backoffMs = INITIAL_BACKOFF_MS;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.state = { waiting: { reason: 'CrashLoopBackOff', message: `${message} (back-off ${Math.round(wait / 1000)}s)` } };
    this.restartCount++;
    this.later(wait, () => this.start());
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private startProbes(gen: number): void {
    const s = this.o.spec;
    const alive = (): boolean => !this.stopped && gen === this.generation && this.child !== undefined;
    const loop = (probe: Probe, kind: 'startup' | 'liveness' | 'readiness', gate: () => boolean, onResult: (ok: boolean, failures: number, successes: number) => boolean | void): void => {
      let failures = 0;
      let successes = 0;
      const tick = async (): Promise<void> => {
        if (!alive()) return;
        if (gate()) {
          const ok = await runProbe(probe, this.o.podIP, this.o.spec.ports);
          if (!alive()) return;
          if (ok) { successes++; failures = 0; } else { failures++; successes = 0; }
          if (onResult(ok, failures, successes) === false) return;
        }
        this.later((probe.periodSeconds ?? 10) * 1000, () => void tick());
      };
      void kind;
      this.later((probe.initialDelaySeconds ?? 0) * 1000, () => void tick());
    };
    if (s.startupProbe) {
      const p = s.startupProbe;
      loop(p, 'startup', () => !this.started, (ok, failures) => {
        if (ok) { this.started = true; this.o.onChange(); return false; }
        if (failures >= (p.failureThreshold ?? 3)) { this.kill(`Startup probe failed ${failures} times`); return false; }
        return true;
      });
    } else {
      this.started = true;
    }
    if (s.livenessProbe) {
      const p = s.livenessProbe;
      loop(p, 'liveness', () => this.started, (_ok, failures) => {
        if (failures >= (p.failureThreshold ?? 3)) { this.kill(`Liveness probe failed ${failures} times`); return false; }
        return true;
      });
    }
    if (s.readinessProbe) {
      const p = s.readinessProbe;
      loop(p, 'readiness', () => this.started, (ok, failures, successes) => {
        const ready = ok ? successes >= (p.successThreshold ?? 1) || this.ready : !(failures >= (p.failureThreshold ?? 3)) && this.ready;
        if (ready !== this.ready) { this.ready = ready; this.o.onChange(); }
        return true;
      });
    } else {
      // Without a readiness probe a running container is ready once it has started.
      const poll = (): void => {
        if (!alive()) return;
        if (this.started && !this.ready) { this.ready = true; this.o.onChange(); return; }
        this.later(500, poll);
      };
      poll();
    }
  }

  /** Kills the process for a failed probe; the exit handler restarts it. */
  private kill(why: string): void {
    const c = this.child;
    if (!c) return;
    this.lastKillReason = why;
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), this.o.terminationGraceMs ?? 10_000);
    c.once('exit', () => clearTimeout(t));
  }

  lastKillReason?: string;

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const c = this.child;
    if (c) {
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), this.o.terminationGraceMs ?? 10_000);
      await this.exited;
      clearTimeout(t);
    }
  }
}

/** One probe attempt: an HTTP(S) GET answered 200-399, or a TCP connect. TLS is not verified, as the kubelet does not. */
export function runProbe(p: Probe, podIP: string, ports: ContainerSpec['ports'] = []): Promise<boolean> {
  const timeout = (p.timeoutSeconds ?? 1) * 1000;
  // A port is a number or the name of one of the container's ports, as the kubelet resolves it; an unknown name fails.
  const port = (v: number | string): number => (typeof v === 'number' || /^\d+$/.test(v) ? Number(v) : ports.find((q) => q.name === v)?.containerPort ?? NaN);
  return new Promise((resolve) => {
    if (p.httpGet) {
      const g = p.httpGet;
      const https = (g.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
      if (Number.isNaN(port(g.port))) { resolve(false); return; }
      const req = (https ? httpsRequest : httpRequest)({
        host: g.host || podIP, port: port(g.port), path: g.path ?? '/', method: 'GET', timeout,
        headers: { 'User-Agent': 'kube-probe/clusterd' }, ...(https ? { rejectUnauthorized: false } : {}),
      }, (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(false));
      req.end();
    } else if (p.tcpSocket) {
      const target = port(p.tcpSocket.port);
      if (Number.isNaN(target)) { resolve(false); return; }
      const s = connect({ host: p.tcpSocket.host || podIP, port: target, timeout });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('timeout', () => { s.destroy(); resolve(false); });
      s.once('error', () => resolve(false));
    } else {
      resolve(true);
    }
  });
}

/** hostPath types the kubelet creates (DirectoryOrCreate, FileOrCreate) or checks (Directory, File, Socket...). */
export function prepareHostPath(path: string, type: string | undefined): string | undefined {
  switch (type ?? '') {
    case 'DirectoryOrCreate':
      mkdirSync(path, { recursive: true, mode: 0o755 });
      return undefined;
    case 'FileOrCreate':
      if (!existsSync(path)) {
        mkdirSync(dirname(path), { recursive: true });
        closeSync(openSync(path, 'a', 0o644));
      }
      return undefined;
    case '':
      return existsSync(path) ? undefined : undefined;
    default:
      return existsSync(path) ? undefined : `hostPath type check failed: ${path} is not a ${type}`;
  }
}
