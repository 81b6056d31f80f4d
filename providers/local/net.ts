/**
 * The host side of the `local` provider's network, all through iproute2: one Linux bridge per address range (its
 * first address is the host's side), a network namespace per machine joined to the bridge by a veth pair, and the
 * load balancers' addresses on the bridge. Machines reach each other and the load balancers over the bridge; nothing
 * is routed or NATed off the host.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ipString, parseCidr } from '../inmemory/addresses.js';

export class CommandError extends Error {
  constructor(readonly argv: string[], readonly stderr: string, readonly code: number | null) {
    super(`${argv.join(' ')}: ${stderr.trim() || `exit code ${code}`}`);
    this.name = 'CommandError';
  }
}

/** Runs a command; throws with its stderr when it fails. */
export function run(argv: string[], opts: { allowFail?: RegExp } = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new CommandError(argv, r.error.message, null);
  if (r.status !== 0) {
    if (opts.allowFail?.test(r.stderr)) return '';
    throw new CommandError(argv, r.stderr, r.status);
  }
  return r.stdout;
}

const which = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;

/** What the prerequisite check looks at. */
export interface HostFacts {
  uid: number | undefined;
  platform: string;
  hasCommand: (name: string) => boolean;
}

export const realHostFacts = (): HostFacts => ({ uid: process.getuid?.(), platform: process.platform, hasCommand: which });

/**
 * What this host lacks to run machines: root, iproute2's `ip`, util-linux's `unshare` and `mount`. Undefined when
 * everything is there. Checked before anything is created, so a host that cannot run machines is left untouched.
 */
export function missingPrerequisites(facts: HostFacts = realHostFacts()): string | undefined {
  const missing: string[] = [];
  if (facts.platform !== 'linux') missing.push('Linux namespaces (this is not Linux)');
  if (facts.uid !== 0) missing.push('root (it creates network namespaces, a bridge and mounts: run clusterd as root)');
  if (!facts.hasCommand('ip')) missing.push('the "ip" command of iproute2 (apt-get install iproute2)');
  for (const cmd of ['unshare', 'mount']) if (!facts.hasCommand(cmd)) missing.push(`the "${cmd}" command of util-linux`);
  return missing.length > 0 ? `the local provider needs ${missing.join(', ')}` : undefined;
}

/** The bridge of a range: a short, stable name (interface names have at most 15 characters). */
export function bridgeName(range: string): string {
  return `cld${createHash('sha256').update(range).digest('hex').slice(0, 8)}`;
}

export interface RangeInfo {
  bits: number;
  /** The host's address on the bridge: the range's first address. */
  gateway: string;
  base: number;
  size: number;
}

export function rangeInfo(range: string): RangeInfo {
  const { base, size } = parseCidr(range);
  return { base, size, bits: 32 - Math.log2(size), gateway: ipString(base + 1) };
}

interface IpAddrInfo { ifname: string; addr_info?: { family: string; local: string; prefixlen: number }[] }
interface IpRoute { dst: string; dev?: string }

const overlaps = (a: { base: number; size: number }, b: { base: number; size: number }): boolean => a.base < b.base + b.size && b.base < a.base + a.size;

/**
 * The host's addresses and routes that overlap range, other than the provider's own bridge: using the range would
 * make those unreachable (or the machines), so it is refused with what it collides with.
 */
export function rangeCollisions(range: string): string[] {
  const own = bridgeName(range);
  const r = parseCidr(range);
  const found: string[] = [];
  const addrs = JSON.parse(run(['ip', '-j', '-4', 'addr', 'show']) || '[]') as IpAddrInfo[];
  for (const link of addrs) {
    if (link.ifname === own) continue;
    for (const a of link.addr_info ?? []) {
      if (a.family !== 'inet') continue;
      if (overlaps(r, parseCidr(`${a.local}/${a.prefixlen}`))) found.push(`address ${a.local}/${a.prefixlen} on ${link.ifname}`);
    }
  }
  const routes = JSON.parse(run(['ip', '-j', '-4', 'route', 'show', 'table', 'all']) || '[]') as IpRoute[];
  for (const rt of routes) {
    if (rt.dev === own || !rt.dst || rt.dst === 'default') continue;
    const cidr = rt.dst.includes('/') ? rt.dst : `${rt.dst}/32`;
    let p: { base: number; size: number };
    try {
      p = parseCidr(cidr);
    } catch {
      continue;
    }
    // Local and broadcast routes of an address already reported above, and the loopback range, are not news.
    if (p.base >>> 24 === 127) continue;
    if (overlaps(r, p) && !found.some((f) => f.includes(rt.dst))) found.push(`route ${cidr}${rt.dev ? ` via ${rt.dev}` : ''}`);
  }
  return [...new Set(found)];
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** The bridge of range with the host's address, up. Idempotent. */
export function ensureBridge(range: string): string {
  const name = bridgeName(range);
  const { gateway, bits } = rangeInfo(range);
  if (!linkExists(name)) run(['ip', 'link', 'add', name, 'type', 'bridge'], { allowFail: /File exists/ });
  run(['ip', 'addr', 'add', `${gateway}/${bits}`, 'dev', name], { allowFail: /File exists|Address already assigned/ });
  run(['ip', 'link', 'set', name, 'up']);
  return name;
}

/** A load balancer's address on the bridge (a /32, so it answers from the host and from every machine). */
export function addBridgeAddress(bridge: string, address: string): void {
  run(['ip', 'addr', 'add', `${address}/32`, 'dev', bridge], { allowFail: /File exists|Address already assigned/ });
}

export function removeBridgeAddress(bridge: string, address: string): void {
  if (!linkExists(bridge)) return;
  run(['ip', 'addr', 'del', `${address}/32`, 'dev', bridge], { allowFail: /Cannot assign|not found|No such|does not exist/i });
}

/** Interfaces enslaved to the bridge (the machines' host-side veths). */
export function bridgePorts(bridge: string): string[] {
  if (!linkExists(bridge)) return [];
  const links = JSON.parse(run(['ip', '-j', 'link', 'show', 'master', bridge]) || '[]') as { ifname: string }[];
  return links.map((l) => l.ifname);
}

export function deleteBridge(bridge: string): void {
  if (linkExists(bridge)) run(['ip', 'link', 'del', bridge], { allowFail: /Cannot find device|does not exist/ });
}

export const netnsPath = (netns: string): string => `/run/netns/${netns}`;

export function netnsExists(netns: string): boolean {
  return existsSync(netnsPath(netns));
}

export interface MachineNet {
  netns: string;
  /** The host side of the veth pair; the machine side is eth0 in the namespace. */
  veth: string;
  address: string;
  bridge: string;
  range: string;
}

/**
 * The machine's network namespace: lo up, eth0 with its address on the bridge, a default route through the host's
 * side (so a component that looks for the default route's interface finds eth0). Starts over from nothing when a
 * previous attempt stopped half way.
 */
export function createMachineNet(n: MachineNet): void {
  deleteMachineNet(n);
  const { gateway, bits } = rangeInfo(n.range);
  try {
    run(['ip', 'netns', 'add', n.netns]);
    run(['ip', 'link', 'add', n.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.netns]);
    run(['ip', 'link', 'set', n.veth, 'master', n.bridge, 'up']);
    run(['ip', '-n', n.netns, 'link', 'set', 'lo', 'up']);
    run(['ip', '-n', n.netns, 'addr', 'add', `${n.address}/${bits}`, 'dev', 'eth0']);
    run(['ip', '-n', n.netns, 'link', 'set', 'eth0', 'up']);
    run(['ip', '-n', n.netns, 'route', 'add', 'default', 'via', gateway]);
  } catch (err) {
    deleteMachineNet(n);
    throw err;
  }
}

/** Removes the namespace and the veth pair; nothing to do when they are gone already. */
export function deleteMachineNet(n: Pick<MachineNet, 'netns' | 'veth'>): void {
  if (netnsExists(n.netns)) run(['ip', 'netns', 'del', n.netns], { allowFail: /No such file|not found/ });
  if (linkExists(n.veth)) run(['ip', 'link', 'del', n.veth], { allowFail: /Cannot find device|does not exist/ });
}

/** Every clusterd netns on the host (for the tests' leak checks). */
export function listNetns(prefix = 'cld-'): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}
