/**
 * First boot of a local machine, as cloud-init does it, but inside the machine's namespaces and on its real paths:
 * write_files (permissions, encodings, append, defer) where they say, users' authorized keys, and runcmd written to
 * a shell script and run by /bin/sh exactly as cloud-init's scripts-user does (each entry a line; a list entry is
 * quoted word by word). The agent is on PATH as `clusterd`. Output goes to /var/log/cloud-init-output.log.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseUserData, type CloudConfig } from '../inmemory/cloudinit.js';
import { writeFiles, type BootResult } from '../shared/write-files.js';

export const CLOUD_INIT_LOG = '/var/log/cloud-init-output.log';
export const BOOT_FINISHED = '/var/lib/cloud/instance/boot-finished';
export const RUNCMD_SCRIPT = '/var/lib/cloud/instance/scripts/runcmd';

export { parseUserData };

const quote = (s: string): string => (/^[A-Za-z0-9_./:=@,+-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

/** The runcmd script cloud-init would write. */
export function runcmdScript(cfg: CloudConfig): string {
  return `#!/bin/sh\n${cfg.runcmd.map((c) => (Array.isArray(c) ? c.map(quote).join(' ') : c)).join('\n')}\n`;
}

export type { BootResult };

/** Runs the whole first boot. Never throws for a bad entry: it is logged and fails the boot. */
export async function runFirstBoot(userData: string, env: NodeJS.ProcessEnv): Promise<BootResult> {
  mkdirSync(dirname(CLOUD_INIT_LOG), { recursive: true });
  const log = (s: string): void => appendFileSync(CLOUD_INIT_LOG, s.endsWith('\n') ? s : `${s}\n`);
  log(`Cloud-init v. 24.1 (clusterd local) running 'modules:config' at ${new Date().toISOString()}`);
  let cfg: CloudConfig;
  try {
    cfg = parseUserData(userData);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    log(msg);
    return { ok: false, failed: msg };
  }
  for (const u of cfg.users) {
    if (typeof u === 'string') continue;
    const home = join('/home', u.name);
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    if (u.ssh_authorized_keys?.length) writeFileSync(join(home, '.ssh', 'authorized_keys'), `${u.ssh_authorized_keys.join('\n')}\n`, { mode: 0o600 });
    log(`users: created home of ${u.name}`);
  }
  const writeAll = (deferred: boolean): BootResult => writeFiles(cfg.write_files, deferred, { root: '/', log });
  const first = writeAll(false);
  if (!first.ok) return first;

  mkdirSync(dirname(RUNCMD_SCRIPT), { recursive: true });
  writeFileSync(RUNCMD_SCRIPT, runcmdScript(cfg), { mode: 0o700 });
  const out = openSync(CLOUD_INIT_LOG, 'a');
  const code = await new Promise<number>((resolve) => {
    const child = spawn('/bin/sh', [RUNCMD_SCRIPT], { stdio: ['ignore', out, out], env, cwd: '/' });
    child.on('error', () => resolve(127));
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
  });
  closeSync(out);
  let result: BootResult = { ok: true };
  if (code !== 0) {
    log(`runcmd: ${RUNCMD_SCRIPT} exited with ${code}`);
    result = { ok: false, failed: `runcmd exited with ${code}` };
  }
  const last = writeAll(true);
  if (result.ok && !last.ok) result = last;
  // Like cloud-init, first boot happens once per instance, failed or not: a restarted machine does not run it again
  // over the half-configured disk (the machine is replaced instead, as Cluster API does with a failed bootstrap).
  mkdirSync(dirname(BOOT_FINISHED), { recursive: true });
  writeFileSync(BOOT_FINISHED, `${Date.now() / 1000} ${result.ok ? 'up' : 'failed'}\n`);
  log(`Cloud-init v. 24.1 (clusterd local) finished at ${new Date().toISOString()}${result.ok ? '' : ` with errors: ${result.failed}`}`);
  return result;
}
