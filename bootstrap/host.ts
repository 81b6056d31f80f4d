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
  /**
   * Where this machine's 127.0.0.1 is. A real host: 127.0.0.1. A simulated machine shares its process's loopback with
   * every other, so the components it runs bound to "127.0.0.1" (controller-manager, scheduler, etcd metrics) listen on
   * its own address instead, and the agent's health checks and port checks go there.
   */
  loopback?: string;
}

/** addr, with 127.0.0.1 read as this host's loopback. */
export function onHost(host: HostFacts | undefined, addr: string): string {
  return addr === '127.0.0.1' && host?.loopback ? host.loopback : addr;
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
