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

export class AddressAllocator {
  private readonly used = new Set<string>();

  reserve(addr: string): void {
    this.used.add(addr);
  }

  release(addr: string): void {
    this.used.delete(addr);
  }

  /** The lowest free address of the range, skipping the network address and 127.0.0.1. */
  allocate(cidr: string): string {
    const { base, size } = parseCidr(cidr);
    for (let i = 1; i < size - 1; i++) {
      const a = ipString(base + i);
      if (a === '127.0.0.1' || this.used.has(a)) continue;
      this.used.add(a);
      return a;
    }
    throw new Error(`address range ${cidr} is exhausted`);
  }
}
