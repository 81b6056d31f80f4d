/**
 * The machine's mount namespace, set up by its supervisor (already inside fresh mount, UTS, PID and network
 * namespaces, propagation private, so nothing here is seen by the host): a private /run, the machine dir staged
 * under /run, copy-on-write layers over /etc, /var, /root, /home and /tmp (the host's files show through: clusterd
 * itself and the Kubernetes binaries may live under any of them), then the machine's own folders bound over
 * the kubeadm paths. The order matters: the machine dir is bound to its stage first, so later mounts that cover its
 * host path (a data dir under /var or /tmp) cannot hide it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './net.js';
import { OVERLAYS, ROOT_BINDS, STAGE } from './layout.js';

export function setupMachineMounts(machineDir: string, hostname: string, address: string): void {
  run(['mount', '-t', 'tmpfs', '-o', 'mode=0755,nosuid,nodev', 'clusterd-run', '/run']);
  mkdirSync(STAGE, { recursive: true });
  run(['mount', '--bind', machineDir, STAGE]);
  for (const tree of OVERLAYS) {
    const base = join(STAGE, 'overlay', tree.slice(1));
    mkdirSync(join(base, 'upper'), { recursive: true });
    mkdirSync(join(base, 'work'), { recursive: true });
    run(['mount', '-t', 'overlay', `clusterd-${tree.slice(1)}`, '-o', `lowerdir=${tree},upperdir=${join(base, 'upper')},workdir=${join(base, 'work')}`, tree]);
  }
  for (const p of ROOT_BINDS) {
    const src = join(STAGE, 'root', p);
    mkdirSync(src, { recursive: true });
    mkdirSync(p, { recursive: true });
    run(['mount', '--bind', src, p]);
  }
  writeFileSync('/proc/sys/kernel/hostname', hostname);
  writeFileSync('/etc/hostname', `${hostname}\n`);
  // What cloud-init's manage_etc_hosts writes: the machine's name resolves to its own address.
  writeFileSync('/etc/hosts', `127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n${address} ${hostname}\n`);
}
