/**
 * What kubeadm learns from the host it runs on: the node name defaults to the hostname, and the advertise
 * address to the default interface's address. The in-memory provider runs many simulated machines in one
 * process, so it hands each agent run its own machine's facts instead of the real host's.
 */
import { hostname, networkInterfaces } from 'node:os';

export interface HostFacts {
  hostname: string;
  /** The address kubeadm would pick from the default route's interface. */
  defaultAddress: string;
}

/** The first non-loopback IPv4 address, as kubeadm picks the default route's interface address. */
function firstExternalIPv4(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** This process's real host. */
export function detectHost(): HostFacts {
  return { hostname: hostname(), defaultAddress: firstExternalIPv4() };
}
