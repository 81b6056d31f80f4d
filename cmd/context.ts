/** What the client commands (describe, rollout, get) share: the management cluster's client and common flags. */
import type { Command } from 'commander';
import { NoKindMatchError, isNotFound } from '../runtime/errors.js';
import { Client } from '../runtime/client.js';
import type { GroupVersionKind } from '../runtime/types.js';
import { CliError, ExitCode, notFound } from './errors.js';
import { ensureReachable, managementKubeConfig } from './kubeconfig.js';

export interface ConnectionOptions {
  namespace: string;
  kubeconfig?: string;
  dataDir: string;
}

/** -n, --kubeconfig and --data-dir, as every client command takes them. */
export function connectionOptions(c: Command, what = 'the object'): Command {
  return c
    .option('-n, --namespace <ns>', `namespace of ${what}`, 'default')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG, else <data-dir>/kubeconfig)')
    .option('--data-dir <dir>', 'clusterd run\'s state directory, for the embedded API server\'s kubeconfig', '.clusterd');
}

/** A client for the management cluster, after checking that its API server answers. */
export async function connect(opts: ConnectionOptions, userAgent: string): Promise<Client> {
  const r = managementKubeConfig(opts);
  await ensureReachable(r, 3_000, r.via === 'data dir' ? 'Start it with `make run` (or `clusterd run`).' : undefined);
  return new Client(r.kc, { userAgent, fieldManager: userAgent, timeoutMs: 30_000 });
}

/** A get that turns 404 into `kind "name" not found in namespace "ns"` and a missing CRD into what to do. */
export async function getNamed<T>(client: Client, gvk: GroupVersionKind, namespace: string, name: string, hint?: string): Promise<T> {
  try {
    return await client.get(gvk, { namespace, name }) as T;
  } catch (err) {
    if (isNotFound(err)) throw notFound(gvk.kind, name, namespace, hint);
    throw explain(err);
  }
}

/** Errors from the API server, made readable: a missing CRD says how clusterd installs them. */
export function explain(err: unknown): Error {
  if (err instanceof CliError) return err;
  if (err instanceof NoKindMatchError) {
    return new CliError(`the management cluster does not serve ${err.kind} (${err.apiVersion}): install clusterd's CRDs with \`kubectl apply -k deploy/\`, or use \`make run\`'s embedded API server`, ExitCode.Error);
  }
  return err instanceof Error ? err : new Error(String(err));
}
