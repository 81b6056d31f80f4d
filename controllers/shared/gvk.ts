/** The kinds the controllers read and write, as the runtime addresses them. */
import { API_VERSION } from '../../api/v1alpha1/index.js';

export const CLUSTER_GVK = { apiVersion: API_VERSION, kind: 'Cluster' } as const;
export const MACHINE_GVK = { apiVersion: API_VERSION, kind: 'Machine' } as const;
export const MACHINESET_GVK = { apiVersion: API_VERSION, kind: 'MachineSet' } as const;
export const MACHINEDEPLOYMENT_GVK = { apiVersion: API_VERSION, kind: 'MachineDeployment' } as const;
