/**
 * `clusterd rollout status|pause|resume|restart|undo|history md NAME` and `clusterd rollout status|restart cp
 * CLUSTER`: rollouts of MachineDeployments and of a Cluster's control plane, as `kubectl rollout` for Deployments.
 */
import { Command, InvalidArgumentError } from 'commander';
import { Annotations, type Cluster, type MachineDeployment, type MachineSet } from '../api/v1alpha1/index.js';
import { rollbackTemplate } from '../controllers/machinedeployment/rollback.js';
import { revisionOf } from '../controllers/machinedeployment/machinesets.js';
import { CLUSTER_GVK, MACHINEDEPLOYMENT_GVK, MACHINESET_GVK } from '../controllers/shared/gvk.js';
import { isControlledBy } from '../runtime/meta.js';
import type { Client } from '../runtime/client.js';
import type { KubeObject } from '../runtime/types.js';
import { connect, connectionOptions, explain, getNamed, type ConnectionOptions } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { sleep } from './sleep.js';
import { controlPlaneRollout, machineDeploymentRollout, progressLine, type RolloutState } from './rollout/progress.js';

type Kind = 'md' | 'cp';
const KINDS: Record<string, Kind> = {
  md: 'md', machinedeployment: 'md', machinedeployments: 'md',
  cp: 'cp', controlplane: 'cp', 'control-plane': 'cp',
};

function kindOf(kind: string, allowed: Kind[]): Kind {
  const k = KINDS[kind.toLowerCase()];
  if (!k || !allowed.includes(k)) {
    const names = allowed.map((a) => (a === 'md' ? 'md (a MachineDeployment)' : 'cp (a Cluster\'s control plane)')).join(' or ');
    throw new CliError(`KIND "${kind}": expected ${names}`, ExitCode.Usage);
  }
  return k;
}

const label = (k: Kind, name: string): string => (k === 'md' ? `machinedeployment.clusterd.dev/${name}` : `cluster.clusterd.dev/${name} (control plane)`);

async function withClient<T>(opts: ConnectionOptions, agent: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await connect(opts, agent);
  try {
    return await fn(client);
  } catch (err) {
    throw explain(err);
  } finally {
    client.close();
  }
}

const getMD = (c: Client, ns: string, name: string): Promise<MachineDeployment & KubeObject> => getNamed(c, MACHINEDEPLOYMENT_GVK, ns, name);
const getCluster = (c: Client, ns: string, name: string): Promise<Cluster & KubeObject> => getNamed(c, CLUSTER_GVK, ns, name);

async function machineSetsOf(client: Client, md: MachineDeployment & KubeObject): Promise<MachineSet[]> {
  const list = await client.list<KubeObject>(MACHINESET_GVK, { namespace: md.metadata.namespace });
  return (list.items as (MachineSet & KubeObject)[]).filter((ms) => isControlledBy(ms, md));
}

interface StatusOptions extends ConnectionOptions {
  watch: boolean;
  timeout: number;
  interval: number;
}

/**
 * Follows a rollout until it completes (exit 0), exceeds its progress deadline (ExitCode.RolloutFailed), or
 * --timeout passes (ExitCode.Timeout). On a terminal the progress line is redrawn in place; when piped, a line is
 * printed each time it changes.
 */
export async function rolloutStatus(kind: Kind, name: string, opts: StatusOptions, out: NodeJS.WriteStream = process.stdout, signal?: AbortSignal): Promise<number> {
  return withClient(opts, 'clusterd-rollout', async (client) => {
    const started = Date.now();
    const tty = out.isTTY === true;
    let last = '';
    for (;;) {
      const state: RolloutState = kind === 'md'
        ? machineDeploymentRollout(await getMD(client, opts.namespace, name))
        : controlPlaneRollout(await getCluster(client, opts.namespace, name));
      const line = progressLine(label(kind, name), state);
      const elapsed = Math.round((Date.now() - started) / 1000);
      if (tty) out.write(`\r\u001b[K${line}${state.state === 'waiting' ? ` [${elapsed}s]` : ''}`);
      else if (line !== last) out.write(line + '\n');
      last = line;
      const finish = (text: string, code: number): number => {
        out.write((tty ? '\n' : '') + text + '\n');
        return code;
      };
      if (state.state === 'done') return finish(state.message, ExitCode.OK);
      if (state.state === 'failed') return finish(`error: ${state.message}`, ExitCode.RolloutFailed);
      if (state.state === 'paused') return finish(`error: ${state.message}`, ExitCode.Error);
      if (!opts.watch) {
        if (tty) out.write('\n');
        return ExitCode.OK;
      }
      if (opts.timeout > 0 && Date.now() - started >= opts.timeout * 1000) {
        return finish(`error: timed out after ${opts.timeout}s waiting for ${label(kind, name)} to roll out: ${state.message}`, ExitCode.Timeout);
      }
      if (signal?.aborted) return finish('', ExitCode.Error);
      await sleep(opts.interval * 1000, signal);
    }
  });
}

async function setPaused(name: string, paused: boolean, opts: ConnectionOptions): Promise<string> {
  return withClient(opts, 'clusterd-rollout', async (client) => {
    const md = await getMD(client, opts.namespace, name);
    if ((md.spec.paused ?? false) === paused) {
      throw new CliError(`machinedeployment "${name}" is ${paused ? 'already paused' : 'not paused'}`, ExitCode.Error);
    }
    await client.patch(md, { spec: { paused } }, { type: 'merge' });
    return `${label('md', name)} ${paused ? 'paused' : 'resumed'}\n`;
  });
}

/** Stamps restartedAt on the template: every Machine becomes outdated and is replaced by a rolling update. */
async function restart(kind: Kind, name: string, opts: ConnectionOptions, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return withClient(opts, 'clusterd-rollout', async (client) => {
    if (kind === 'md') {
      const md = await getMD(client, opts.namespace, name);
      if (md.spec.paused) throw new CliError(`machinedeployment "${name}" is paused: resume it first with \`clusterd rollout resume md ${name}\``, ExitCode.Error);
      await client.patch(md, { spec: { template: { metadata: { annotations: { [Annotations.restartedAt]: stamp } } } } }, { type: 'merge' });
    } else {
      const cluster = await getCluster(client, opts.namespace, name);
      if (!cluster.spec.controlPlane) throw new CliError(`cluster "${name}" has no managed control plane (spec.controlPlane) to restart`, ExitCode.Error);
      await client.patch(cluster, { spec: { controlPlane: { machineTemplate: { metadata: { annotations: { [Annotations.restartedAt]: stamp } } } } } }, { type: 'merge' });
    }
    return `${label(kind, name)} restarted\n`;
  });
}

function nonNegative(v: string): number {
  const n = Number(v.replace(/s$/, ''));
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`must be a number of seconds (0 for none), got "${v}"`);
  return n;
}

const target = (c: Command, kinds: string): Command =>
  connectionOptions(c.argument('<kind>', kinds).argument('<name>', 'name of the MachineDeployment (md) or of the Cluster (cp)'));

export function rolloutCommand(): Command {
  const rollout = new Command('rollout').description('manage rollouts of MachineDeployments (md) and control planes (cp)')
    .addHelpText('after', `
Examples:
  clusterd rollout status md demo-workers         # follow a rollout until it is done
  clusterd rollout restart cp demo                # replace every control-plane Machine, one at a time
  clusterd rollout pause md demo-workers          # stop rolling; template changes wait for resume`);

  rollout.addCommand(target(new Command('status'), 'md or cp')
    .description('follow a rollout until it completes; exit 0 when done, 5 when its progress deadline is exceeded')
    .option('--no-watch', 'print the status once instead of following it')
    .option('--timeout <seconds>', 'give up after this long (0: wait for ever)', nonNegative, 0)
    .option('--interval <seconds>', 'how often the status is read', nonNegative, 1)
    .addHelpText('after', `
Examples:
  # an upgrade, followed until done
  kubectl patch md demo-workers --type merge -p '{"spec":{"template":{"spec":{"version":"v1.37.2"}}}}'
  clusterd rollout status md demo-workers

  # the control plane, giving up after ten minutes
  clusterd rollout status cp demo --timeout 600`)
    .action(async (kind: string, name: string, opts: StatusOptions) => {
      const k = kindOf(kind, ['md', 'cp']);
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGINT', stop);
      const code = await rolloutStatus(k, name, opts, process.stdout, ac.signal);
      process.off('SIGINT', stop);
      if (code !== 0) throw new CliError('', code as (typeof ExitCode)[keyof typeof ExitCode]);
    }));

  rollout.addCommand(target(new Command('pause'), 'md')
    .description('pause a MachineDeployment: template changes wait until it is resumed (scaling still works)')
    .addHelpText('after', '\nExamples:\n  clusterd rollout pause md demo-workers')
    .action(async (kind: string, name: string, opts: ConnectionOptions) => {
      kindOf(kind, ['md']);
      process.stdout.write(await setPaused(name, true, opts));
    }));

  rollout.addCommand(target(new Command('resume'), 'md')
    .description('resume a paused MachineDeployment: a pending template change rolls out')
    .addHelpText('after', '\nExamples:\n  clusterd rollout resume md demo-workers && clusterd rollout status md demo-workers')
    .action(async (kind: string, name: string, opts: ConnectionOptions) => {
      kindOf(kind, ['md']);
      process.stdout.write(await setPaused(name, false, opts));
    }));

  rollout.addCommand(target(new Command('restart'), 'md or cp')
    .description('replace every Machine with a fresh one, in a rolling update (as Cluster API\'s rolloutAfter)')
    .addHelpText('after', `
Examples:
  clusterd rollout restart md demo-workers && clusterd rollout status md demo-workers
  clusterd rollout restart cp demo && clusterd rollout status cp demo`)
    .action(async (kind: string, name: string, opts: ConnectionOptions) => {
      process.stdout.write(await restart(kindOf(kind, ['md', 'cp']), name, opts));
    }));

  rollout.addCommand(target(new Command('undo'), 'md')
    .description('roll a MachineDeployment back to a previous template revision')
    .option('--to-revision <n>', 'revision to roll back to (default: the previous one)', '0')
    .addHelpText('after', `
Examples:
  clusterd rollout undo md demo-workers
  clusterd rollout undo md demo-workers --to-revision 1`)
    .action(async (kind: string, name: string, opts: ConnectionOptions & { toRevision: string }) => {
      kindOf(kind, ['md']);
      const to = Number(opts.toRevision);
      if (!Number.isInteger(to) || to < 0) throw new CliError(`--to-revision: must be a non-negative integer, got "${opts.toRevision}"`, ExitCode.Usage);
      process.stdout.write(await withClient(opts, 'clusterd-rollout', async (client) => {
        const md = await getMD(client, opts.namespace, name);
        let rb: ReturnType<typeof rollbackTemplate>;
        try {
          rb = rollbackTemplate(md, await machineSetsOf(client, md), to);
        } catch (err) {
          throw new CliError((err as Error).message, to > 0 ? ExitCode.NotFound : ExitCode.Error);
        }
        // Replace the whole template (a merge patch would keep labels the old revision did not have).
        await client.patch(md, [{ op: 'test', path: '/metadata/resourceVersion', value: md.metadata.resourceVersion }, { op: 'replace', path: '/spec/template', value: rb.template }], { type: 'json' });
        return `${label('md', name)} rolled back to revision ${rb.revision}\n`;
      }));
    }));

  rollout.addCommand(target(new Command('history'), 'md')
    .description('list a MachineDeployment\'s template revisions')
    .addHelpText('after', '\nExamples:\n  clusterd rollout history md demo-workers')
    .action(async (kind: string, name: string, opts: ConnectionOptions) => {
      kindOf(kind, ['md']);
      const sets = await withClient(opts, 'clusterd-rollout', async (client) => machineSetsOf(client, await getMD(client, opts.namespace, name)));
      const rows = sets.filter((ms) => revisionOf(ms) > 0).sort((a, b) => revisionOf(a) - revisionOf(b))
        .map((ms) => `${String(revisionOf(ms)).padEnd(9)} ${(ms.metadata.name ?? '').padEnd(40)} ${ms.spec.template.spec.version ?? ''}`);
      process.stdout.write(`${label('md', name)}\n${'REVISION'.padEnd(9)} ${'MACHINESET'.padEnd(40)} VERSION\n${rows.join('\n')}\n`);
    }));
  return rollout;
}
