/**
 * `clusterd describe cluster NAME`: the Cluster and everything it owns as a tree with each object's state,
 * as `clusterctl describe cluster` shows it. --watch redraws it as it changes.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import yaml from 'js-yaml';
import type { Cluster, Machine, MachineDeployment, MachineSet } from '../api/v1alpha1/index.js';
import { CLUSTER_GVK, MACHINEDEPLOYMENT_GVK, MACHINESET_GVK, MACHINE_GVK } from '../controllers/shared/gvk.js';
import type { Client } from '../runtime/client.js';
import { connect, connectionOptions, explain, getNamed, type ConnectionOptions } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { sleep } from './sleep.js';
import { buildTree, type TreeInput, type TreeOptions } from './describe/tree.js';
import { renderTree, treeData } from './describe/render.js';

export interface DescribeOptions extends ConnectionOptions {
  showConditions?: string;
  output?: 'text' | 'json' | 'yaml';
  grouping: boolean;
  watch: boolean;
  interval: number;
  color?: 'auto' | 'always' | 'never';
}

export async function fetchTree(client: Client, namespace: string, name: string): Promise<TreeInput> {
  const cluster = await getNamed<Cluster>(client, CLUSTER_GVK, namespace, name);
  try {
    const [machines, machineSets, machineDeployments] = await Promise.all([
      client.list(MACHINE_GVK, { namespace }), client.list(MACHINESET_GVK, { namespace }), client.list(MACHINEDEPLOYMENT_GVK, { namespace }),
    ]);
    return {
      cluster,
      machines: machines.items as unknown as Machine[],
      machineSets: machineSets.items as unknown as MachineSet[],
      machineDeployments: machineDeployments.items as unknown as MachineDeployment[],
    };
  } catch (err) {
    throw explain(err);
  }
}

/** The describe output for one snapshot, in the requested format. */
export function formatDescribe(input: TreeInput, opts: { output?: string; colour: boolean; now: Date } & TreeOptions): string {
  const tree = buildTree(input, opts);
  if (opts.output === 'json') return JSON.stringify(treeData(tree), null, 2) + '\n';
  if (opts.output === 'yaml') return yaml.dump(treeData(tree), { lineWidth: -1, noRefs: true });
  return renderTree(tree, { colour: opts.colour, now: opts.now });
}

const useColour = (mode: DescribeOptions['color'], tty: boolean): boolean => mode === 'always' || (mode !== 'never' && tty && !process.env.NO_COLOR);

export async function describeCluster(name: string, opts: DescribeOptions, out: NodeJS.WriteStream = process.stdout, signal?: AbortSignal): Promise<void> {
  const treeOpts: TreeOptions = {
    showConditions: opts.showConditions ? opts.showConditions.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    grouping: opts.grouping,
  };
  const client = await connect(opts, 'clusterd-describe');
  try {
    const colour = useColour(opts.color, out.isTTY === true);
    const once = async (): Promise<{ text: string; state: string }> => {
      const input = await fetchTree(client, opts.namespace, name);
      return {
        text: formatDescribe(input, { ...treeOpts, output: opts.output, colour, now: new Date() }),
        // What changed, without the SINCE column ticking: the tree's data carries timestamps, not durations.
        state: JSON.stringify(treeData(buildTree(input, treeOpts))),
      };
    };
    if (!opts.watch) {
      out.write((await once()).text);
      return;
    }
    // Redraw in place on a terminal; when piped, print a snapshot each time the tree changes.
    let previous = '';
    while (!signal?.aborted) {
      let text: string;
      let state: string;
      try {
        ({ text, state } = await once());
      } catch (err) {
        if (err instanceof CliError && err.exitCode === ExitCode.NotFound && previous !== '') {
          out.write(`cluster "${name}" in namespace "${opts.namespace}" is gone (deleted)\n`);
          return;
        }
        if (err instanceof CliError || previous === '') throw err;
        // The API server went away mid-watch (`make run` restarted, say): keep trying, saying so once.
        const note = `cannot reach the API server (${(err as Error).message}); retrying every ${opts.interval}s`;
        if (out.isTTY) out.write(`\r\u001b[K${note}`);
        else if (previous !== 'unreachable') out.write(`${note}\n`);
        previous = previous === '' ? '' : 'unreachable';
        await sleep(opts.interval * 1000, signal);
        continue;
      }
      if (out.isTTY) {
        out.write(`\u001b[H\u001b[2J${text}\nEvery ${opts.interval}s, ${new Date().toISOString().slice(11, 19)} UTC; Ctrl-C to stop\n`);
      } else if (state !== previous) {
        out.write((previous ? '\n' : '') + text);
      }
      previous = state;
      await sleep(opts.interval * 1000, signal);
    }
  } finally {
    client.close();
  }
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a positive number of seconds, got "${v}"`);
  return n;
}

export function describeCommand(): Command {
  const describe = new Command('describe').description('show a Cluster and everything it owns, with their state');
  const cluster = connectionOptions(new Command('cluster'), 'the Cluster')
    .description('describe a Cluster as a tree: infrastructure, control plane, MachineDeployments, MachineSets, Machines')
    .argument('<name>', 'name of the Cluster')
    .option('--show-conditions <kinds>', 'list every condition of these kinds\' objects: "all", or a comma-separated list such as Machine,MachineDeployment')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text'))
    .option('--no-grouping', 'list every Machine on its own row instead of grouping Machines in the same state')
    .option('-w, --watch', 'keep redrawing the tree as it changes (Ctrl-C to stop)', false)
    .option('--interval <seconds>', 'how often --watch refreshes', seconds, 2)
    .addOption(new Option('--color <when>', 'colour the READY column').choices(['auto', 'always', 'never']).default('auto'))
    .addHelpText('after', `
Examples:
  # the whole tree, Machines in the same state grouped
  clusterd describe cluster demo

  # every condition of every object, one Machine a row
  clusterd describe cluster demo --show-conditions all --no-grouping

  # follow a scale-up or an upgrade as it happens
  clusterd describe cluster demo --watch

  # the tree as data
  clusterd describe cluster demo -n team-a -o yaml`)
    .action(async (name: string, opts: DescribeOptions) => {
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await describeCluster(name, opts, process.stdout, ac.signal);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
  describe.addCommand(cluster);
  return describe;
}
