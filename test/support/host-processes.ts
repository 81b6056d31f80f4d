/**
 * The host's processes as /proc shows them, with the network namespace each lives in: how the local provider's tests
 * find what a machine left behind (pids are reused; a namespace's inode is not, while anything holds it).
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

export interface HostProcess {
  pid: number;
  /** The command line, arguments joined by spaces. */
  cmdline: string;
  /** The network namespace, as readlink shows it: net:[inode]. */
  netns: string;
}

export function hostProcesses(): HostProcess[] {
  const out: HostProcess[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      out.push({ pid: Number(p), netns: readlinkSync(`/proc/${p}/ns/net`), cmdline: readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ') });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** The net:[inode] name of a network namespace file (/run/netns/<name>). */
export const netnsName = (path: string): string => `net:[${statSync(path).ino}]`;
