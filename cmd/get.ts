/**
 * `clusterd get kubeconfig NAME [-n NS] [--kubeconfig F]`: prints the workload cluster's admin kubeconfig,
 * read from the `<name>-kubeconfig` Secret the Cluster controller writes, as `clusterctl get kubeconfig` does.
 *
 *   kubectl --kubeconfig <(clusterd get kubeconfig demo) get nodes
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { KubeConfig } from '@kubernetes/client-node';
import { secretNames } from '../controllers/cluster/names.js';
import { Client } from '../runtime/client.js';
import { isNotFound } from '../runtime/errors.js';
import type { KubeObject } from '../runtime/types.js';
import { resolveKubeConfig } from './run.js';

interface GetOptions {
  namespace: string;
  kubeconfig?: string;
  dataDir: string;
}

/** The management cluster: --kubeconfig, $KUBECONFIG, in-cluster, else the embedded server's <data-dir>/kubeconfig. */
function managementKubeConfig(opts: GetOptions): KubeConfig {
  const found = resolveKubeConfig(opts.kubeconfig);
  if (found) return found.kc;
  const file = join(resolve(opts.dataDir), 'kubeconfig');
  if (!existsSync(file)) throw new Error(`no kubeconfig: pass --kubeconfig, set KUBECONFIG, or start \`clusterd run\` (which writes ${file})`);
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

export async function getKubeconfig(name: string, opts: GetOptions): Promise<string> {
  const client = new Client(managementKubeConfig(opts), { userAgent: 'clusterd-get' });
  try {
    const secretName = secretNames.kubeconfig(name);
    let secret: KubeObject & { data?: Record<string, string> };
    try {
      secret = await client.get({ apiVersion: 'v1', kind: 'Secret' }, { namespace: opts.namespace, name: secretName });
    } catch (err) {
      if (isNotFound(err)) {
        throw new Error(`Secret ${opts.namespace}/${secretName} not found: does Cluster ${opts.namespace}/${name} exist, and has its control-plane endpoint been provisioned?`);
      }
      throw err;
    }
    const value = secret.data?.value;
    if (!value) throw new Error(`Secret ${opts.namespace}/${secretName} has no "value" key`);
    return Buffer.from(value, 'base64').toString('utf8');
  } finally {
    client.close();
  }
}

export function getCommand(): Command {
  const get = new Command('get').description('display clusterd resources that kubectl cannot show');
  get.command('kubeconfig')
    .description('print the admin kubeconfig of a workload cluster')
    .argument('<name>', 'name of the Cluster')
    .option('-n, --namespace <ns>', 'namespace of the Cluster', 'default')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG, else <data-dir>/kubeconfig)')
    .option('--data-dir <dir>', 'clusterd run\'s state directory, for the embedded API server\'s kubeconfig', '.clusterd')
    .action(async (name: string, opts: GetOptions) => {
      process.stdout.write(await getKubeconfig(name, opts));
    });
  return get;
}
