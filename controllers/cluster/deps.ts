/** What the Cluster and Machine controllers need from the daemon, besides the manager. */
import type { Logger } from 'pino';
import type { InfrastructureProvider } from '../../providers/types.js';
import type { WorkloadClusters } from './workload.js';

export interface ProviderLookup {
  /** The provider registered under name; rejects with a message naming the registered ones. */
  get(name: string): Promise<InfrastructureProvider>;
}

export interface ControllerDeps {
  providers: ProviderLookup;
  logger?: Logger;
  /** Shared by both controllers: one client and one Node watch per workload cluster. Created on demand. */
  workloadClusters?: WorkloadClusters;
  /** Bootstrap token TTL for joins (default 15 minutes). */
  joinTokenTTLSeconds?: number;
  /** Poll interval while waiting for something no watch reports (workload API answering; default 2 s). */
  pollIntervalMs?: number;
}

export const CLUSTER_GVK = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster' } as const;
export const MACHINE_GVK = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Machine' } as const;
export const MACHINESET_GVK = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'MachineSet' } as const;
export const MACHINEDEPLOYMENT_GVK = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'MachineDeployment' } as const;
export const CONFIGMAP_GVK = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

export const errMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
