/**
 * A local machine's supervisor: pid 1 of the machine, started by the provider as
 *   ip netns exec <netns> unshare --uts --mount --pid --fork --kill-child --mount-proc --propagation private \
 *     node supervisor.js <machine dir>
 * and detached from the daemon, so the machine outlives it. It sets up the machine's mounts and hostname, starts the
 * process kubelet, and runs cloud-init's first boot once (a restarted supervisor finds boot-finished and only
 * restarts the kubelet, which restarts the static Pods). SIGTERM stops the Pods and exits; when this process dies,
 * the kernel kills everything else in the machine's PID namespace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newLogger } from '../../lib/logging.js';
import { BOOT_FINISHED, runFirstBoot } from './cloudinit.js';
import { ProcessKubelet } from './kubelet/kubelet.js';
import { STAGE, type MachineRecord } from './layout.js';
import { setupMachineMounts } from './mounts.js';

async function main(): Promise<void> {
  const machineDir = process.argv[2];
  if (!machineDir) throw new Error('usage: supervisor.js <machine dir>');
  // First of all: as pid 1 of its namespace this process ignores any signal it has no handler for, so a machine
  // deleted while it starts would otherwise wait out the whole grace period.
  const running: { kubelet?: ProcessKubelet } = {};
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void (running.kubelet?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const rec = JSON.parse(readFileSync(join(machineDir, 'machine.json'), 'utf8')) as MachineRecord;
  const logger = newLogger({ name: 'clusterd-local-machine' }).child({ machine: rec.name });
  setupMachineMounts(machineDir, rec.name, rec.address);
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(STAGE, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: '/root', LANG: 'C.UTF-8', KUBE_CACHE: rec.kubeCache, HOSTNAME: rec.name,
  };
  if (stopping) return;
  const kubelet = new ProcessKubelet({ machine: rec.name, providerID: rec.providerID, address: rec.address, version: rec.version, logger, env });
  running.kubelet = kubelet;
  kubelet.start();
  if (existsSync(BOOT_FINISHED)) {
    logger.info('re-attached: first boot finished before, only the kubelet restarts');
    return;
  }
  const userData = readFileSync(join(STAGE, 'user-data'), 'utf8');
  const res = await runFirstBoot(userData, env);
  if (res.ok) logger.info('cloud-init finished');
  else logger.warn({ failed: res.failed }, 'cloud-init failed; see /var/log/cloud-init-output.log in the machine');
}

main().catch((err: unknown) => {
  process.stderr.write(`supervisor: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
