/**
 * Child processes a test file starts (daemons, etcd, kube-apiserver) die with it. The test runner stops a file that
 * times out with SIGTERM, which ends Node without an 'exit' event, so the signals are handled here too: without
 * this, a timed-out e2e file left its daemon holding its loopback addresses for the next run.
 */
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
let installed = false;

function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}

function install(): void {
  installed = true;
  process.on('exit', killAll);
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(code);
    });
  }
}

/** Kills child with this process, however it ends. */
export function reap(child: ChildProcess): ChildProcess {
  if (!installed) install();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
