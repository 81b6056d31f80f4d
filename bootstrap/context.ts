/** What every phase of one agent run shares: the host root, output, dry-run, and file access under the root. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

export interface Writable {
  write(chunk: string): unknown;
}

export interface AgentIO {
  stdout: Writable;
  stderr: Writable;
}

export class HostFS {
  constructor(readonly root: string) {}

  /** A file outside the host root (the operator's --config). */
  static readReal(p: string): string {
    return readFileSync(p, 'utf8');
  }

  /** The real location of a host path: `--root` prefixes every absolute path. */
  path(p: string): string {
    if (!isAbsolute(p)) throw new Error(`host path "${p}" must be absolute`);
    return this.root ? join(this.root, p) : p;
  }

  exists(p: string): boolean {
    return existsSync(this.path(p));
  }

  read(p: string): string {
    return readFileSync(this.path(p), 'utf8');
  }

  readIfExists(p: string): string | undefined {
    return this.exists(p) ? this.read(p) : undefined;
  }

  /** Writes atomically (temp file + rename) so a crash never leaves half a certificate or kubeconfig. */
  write(p: string, content: string | Buffer, mode = 0o644): void {
    const real = this.path(p);
    mkdirSync(dirname(real), { recursive: true, mode: 0o755 });
    const tmp = `${real}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, content, { mode });
    renameSync(tmp, real);
  }

  list(p: string): string[] {
    return readdirSync(this.path(p));
  }

  remove(p: string): void {
    rmSync(this.path(p), { force: true });
  }

  mkdir(p: string, mode = 0o755): void {
    mkdirSync(this.path(p), { recursive: true, mode });
  }
}

/** Prints kubeadm-style lines: `[certs] Generating "ca" certificate and key`. */
export class Printer {
  constructor(private readonly io: AgentIO) {}

  phase(tag: string, msg: string): void {
    this.io.stdout.write(`[${tag}] ${msg}\n`);
  }

  line(msg = ''): void {
    this.io.stdout.write(`${msg}\n`);
  }

  warn(tag: string, msg: string): void {
    this.io.stderr.write(`[${tag}] WARNING: ${msg}\n`);
  }
}
