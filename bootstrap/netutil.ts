/** Address arithmetic kubeadm needs: the n-th address of a CIDR (10.96.0.1 for the API service, .10 for DNS). */
import { isIP } from 'node:net';

function ipv4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n);
}

function ipv6ToBig(ip: string): bigint {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

function bigToIPv6(n: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // compress the longest run of zero groups, as Go's net.IP.String does
  let best = -1; let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** The index-th address of the first CIDR in a comma-separated list. */
export function nthAddress(cidrs: string, index: number): string {
  const first = cidrs.split(',')[0]!.trim();
  const [ip, bitsStr] = first.split('/');
  const bits = Number(bitsStr);
  if (isIP(ip!) === 4) {
    const mask = bits === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - bits)) - 1n);
    const n = (ipv4ToBig(ip!) & mask) + BigInt(index);
    return [24n, 16n, 8n, 0n].map((s) => ((n >> s) & 255n).toString()).join('.');
  }
  if (isIP(ip!) === 6) {
    const all = (1n << 128n) - 1n;
    const mask = bits === 0 ? 0n : all ^ ((1n << BigInt(128 - bits)) - 1n);
    return bigToIPv6((ipv6ToBig(ip!) & mask) + BigInt(index));
  }
  throw new Error(`"${first}" is not a CIDR`);
}

/** host:port with IPv6 literals bracketed. */
export function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
