/**
 * Provider machines that no Machine owns any more. The Machine controller puts its finalizer on before it ever calls
 * the provider and deletes the provider machine before it lets the Machine go, so a provider machine whose Machine is
 * gone is a leak: a daemon killed between a provider's create and its record, or a late write after a delete. Left
 * alone it keeps running and holding its address until the Cluster goes. Cluster API leaves this to each
 * infrastructure provider; clusterd's provider contract has listMachines for it.
 */
import type { ListedMachine } from '../../providers/types.js';

/** How often a Cluster's provider machines are checked for orphans. */
export const ORPHAN_SWEEP_INTERVAL_MS = 60_000;

/**
 * The listed machines whose Machine does not exist. The cache is asked first (it answers for nearly every machine, at
 * no cost); only a machine it does not show is read live, since the cache may lag a Machine just created. A Machine
 * being deleted still exists: its own deletion removes its provider machine.
 */
export async function orphanedMachines(
  listed: ListedMachine[],
  inCache: (namespace: string, name: string) => Promise<boolean>,
  exists: (namespace: string, name: string) => Promise<boolean>,
): Promise<ListedMachine[]> {
  const orphans: ListedMachine[] = [];
  for (const m of listed) {
    if (await inCache(m.machineNamespace, m.machineName)) continue;
    if (await exists(m.machineNamespace, m.machineName)) continue;
    orphans.push(m);
  }
  return orphans;
}
