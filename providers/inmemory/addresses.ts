import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Loopback addresses for simulated machines and load balancers. All of 127.0.0.0/8 reaches this host,
 * so each machine can bind its own <ip>:6443 like a real one. One allocator per provider, so clusters
 * configured with overlapping ranges still never share an address.
 */
export function parseCidr(cidr: string): { base: number; size: number } {
  const m = cidr.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/);
  if (!m) throw new Error(`"${cidr}" is not an IPv4 CIDR`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) throw new Error(`"${cidr}" is not an IPv4 CIDR`);
  const ip = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), size };
}

export const ipString = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** Field errors for an address range: IPv4 CIDR, inside 127.0.0.0/8, at least 4 addresses. */
export function checkRange(cidr: string): string | undefined {
  try {
    const { base, size } = parseCidr(cidr);
    if (base >>> 24 !== 127) return 'must be inside the loopback range 127.0.0.0/8';
    if (size < 4) return 'must hold at least 4 addresses';
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Where a claim records its owner: the record (cluster.json or an instance's .json) that holds the address. */
export interface AddressOwner {
  /** Absolute path of the JSON record that persists the address. */
  record: string;
  /** The record's field that holds it: `loadBalancer.host` or `address`. */
  field: 'loadBalancer.host' | 'address';
}

/** The host-wide directory of address claims, shared by every clusterd on this host (CLUSTERD_ADDRESS_DIR overrides). */
export function defaultClaimsDir(): string {
  return process.env.CLUSTERD_ADDRESS_DIR ?? join(tmpdir(), 'clusterd-addresses');
}

/** How long a claim without its record yet counts as live (the record is written right after the claim). */
const CLAIM_GRACE_MS = 60_000;

function claimAge(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function recordHolds(owner: AddressOwner, addr: string): boolean {
  try {
    const rec = JSON.parse(readFileSync(owner.record, 'utf8')) as { address?: string; loadBalancer?: { host?: string } };
    return (owner.field === 'address' ? rec.address : rec.loadBalancer?.host) === addr;
  } catch {
    return false;
  }
}

/** Binds addr:port for a moment: false when something on this host already listens there (or the address is unusable). */
export function probeBind(addr: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: addr, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Loopback addresses, unique on the host: independent daemons (each with its own data dir) share one claims
 * directory, and an address is handed out only when its claim file could be created (O_EXCL) and a bind on it
 * succeeds. A claim whose owner's record no longer holds the address is stale and taken over, so a daemon that
 * is gone (or a cluster deleted while the daemon was down) does not keep addresses for ever; a restarted daemon
 * finds its own claims by its records. Within the process, `used` keeps what this provider holds.
 */
export class AddressAllocator {
  private readonly used = new Set<string>();

  constructor(private readonly claimsDir: string = defaultClaimsDir()) {
    mkdirSync(claimsDir, { recursive: true, mode: 0o1777 });
  }

  reserve(addr: string, owner?: AddressOwner): void {
    this.used.add(addr);
    if (owner) this.claim(addr, owner);
  }

  release(addr: string, owner?: AddressOwner): void {
    this.used.delete(addr);
    const path = join(this.claimsDir, addr);
    try {
      const held = JSON.parse(readFileSync(path, 'utf8')) as AddressOwner;
      if (!owner || held.record === owner.record) unlinkSync(path);
    } catch {
      // no claim, or not ours
    }
  }

  /** Claims addr for owner on the host; false when another live owner holds it. */
  private claim(addr: string, owner: AddressOwner): boolean {
    const path = join(this.claimsDir, addr);
    const text = JSON.stringify(owner);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let held: AddressOwner | undefined;
      try {
        held = JSON.parse(readFileSync(path, 'utf8')) as AddressOwner;
      } catch {
        held = undefined;
      }
      if (held && held.record === owner.record) return true;
      // A claim is written just before its record: give a fresh one time to get its record.
      if (held && (recordHolds(held, addr) || (existsSync(dirname(dirname(held.record))) && Date.now() - claimAge(path) < CLAIM_GRACE_MS))) return false;
      // Stale (its owner's record is gone or moved on): take it over.
      try {
        unlinkSync(path);
      } catch {
        // another allocator took it over first; the exclusive create decides
      }
    }
    return false;
  }

  /**
   * The lowest address of the range that is free here and on the host, skipping the network address and 127.0.0.1:
   * claimed for owner, then probed with a bind on port. One that fails either step is skipped, and the next is tried.
   */
  async allocate(cidr: string, owner: AddressOwner, port: number): Promise<string> {
    const { base, size } = parseCidr(cidr);
    for (let i = 1; i < size - 1; i++) {
      const a = ipString(base + i);
      if (a === '127.0.0.1' || this.used.has(a)) continue;
      if (!this.claim(a, owner)) continue;
      if (!(await probeBind(a, port))) {
        this.release(a, owner);
        continue;
      }
      this.used.add(a);
      return a;
    }
    throw new Error(`address range ${cidr} is exhausted`);
  }
}
