/**
 * Where a machine keeps its state on the host, and what it mounts where inside its own mount namespace.
 *
 *   <machine dir>/machine.json      the record (address, namespace names, supervisor pid)
 *   <machine dir>/user-data         the rendered cloud-init (0600: it carries bootstrap secrets)
 *   <machine dir>/supervisor.log    the supervisor's own output
 *   <machine dir>/bin/clusterd      the agent on the machine's PATH (this clusterd, as an image ships kubeadm)
 *   <machine dir>/root/...          the machine's own folders, bind-mounted over the real paths (ROOT_BINDS)
 *   <machine dir>/overlay/...       upper layers of the machine's /etc, /var, /root and /home
 */
import { join } from 'node:path';
import type { MachineRecordBase } from '../shared/records.js';

/** Inside the machine, the machine dir is reachable here (bound before anything else is mounted over its path). */
export const STAGE = '/run/clusterd/machine';

/**
 * The machine's own root folders, bound over the paths kubeadm and the components use, so they see the real paths
 * and the host never does. Anything else written under these top-level trees lands in the machine's overlay.
 */
export const ROOT_BINDS = ['/etc/kubernetes', '/var/lib/etcd', '/var/lib/kubelet', '/var/lib/cloud', '/var/log', '/usr/libexec/kubernetes'] as const;

/** Trees that get a copy-on-write layer of their own per machine (write_files to /etc/motd stays in the machine). */
export const OVERLAYS = ['/etc', '/var', '/root', '/home', '/tmp'] as const;

export interface MachineRecord extends MachineRecordBase {
  netns: string;
  veth: string;
  bridge: string;
  range: string;
  /** The gateway: the host's address on the bridge. */
  gateway: string;
  createdAt: string;
  /** Networking is in place (set once the namespace and veth exist). */
  networkReady: boolean;
  /** Host pid of the supervisor's `unshare` (its child, pid 1 of the machine, dies with it). */
  pid?: number;
  /** The kube cache the machine's kubelet picks binaries from. */
  kubeCache: string;
}

export const recordPath = (dir: string): string => join(dir, 'machine.json');
export const userDataPath = (dir: string): string => join(dir, 'user-data');
export const rootPath = (dir: string, p = '/'): string => join(dir, 'root', p);
