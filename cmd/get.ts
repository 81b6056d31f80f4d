/**
 * `clusterd get kubeconfig NAME [-n NS] [--kubeconfig F]`: prints the workload cluster's admin kubeconfig,
 * read from the `<name>-kubeconfig` Secret the Cluster controller writes, as `clusterctl get kubeconfig` does.
 *
 *   kubectl --kubeconfig <(clusterd get kubeconfig demo) get nodes
 */
import { Command } from 'commander';
import { secretNames } from '../controllers/shared/names.js';
import { CLUSTER_GVK } from '../controllers/shared/gvk.js';
import { isNotFound } from '../runtime/errors.js';
import type { KubeObject } from '../runtime/types.js';
import { connect, connectionOptions, explain, getNamed, type ConnectionOptions } from './context.js';
import { CliError, ExitCode } from './errors.js';

export async function getKubeconfig(name: string, opts: ConnectionOptions): Promise<string> {
  const client = await connect(opts, 'clusterd-get');
  try {
    const secretName = secretNames.kubeconfig(name);
    let secret: KubeObject & { data?: Record<string, string> };
    try {
      secret = await client.get({ apiVersion: 'v1', kind: 'Secret' }, { namespace: opts.namespace, name: secretName });
    } catch (err) {
      if (!isNotFound(err)) throw explain(err);
      // Say which is missing: the Cluster, or only its kubeconfig (not written until the endpoint exists).
      await getNamed(client, CLUSTER_GVK, opts.namespace, name);
      throw new CliError(`secret "${secretName}" not found in namespace "${opts.namespace}": cluster "${name}" has no kubeconfig yet (written once its control-plane endpoint is provisioned; follow it with \`clusterd describe cluster ${name} --watch\`)`, ExitCode.NotFound);
    }
    const value = secret.data?.value;
    if (!value) throw new CliError(`secret "${secretName}" in namespace "${opts.namespace}" has no "value" key`);
    return Buffer.from(value, 'base64').toString('utf8');
  } finally {
    client.close();
  }
}

export function getCommand(): Command {
  const get = new Command('get').description('display clusterd resources that kubectl cannot show');
  get.addCommand(connectionOptions(new Command('kubeconfig'), 'the Cluster')
    .description('print the admin kubeconfig of a workload cluster')
    .argument('<name>', 'name of the Cluster')
    .addHelpText('after', `
Examples:
  clusterd get kubeconfig demo > demo.kubeconfig
  kubectl --kubeconfig demo.kubeconfig get nodes`)
    .action(async (name: string, opts: ConnectionOptions) => {
      process.stdout.write(await getKubeconfig(name, opts));
    }));
  return get;
}
