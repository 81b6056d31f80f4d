/** The kinds the controllers read and write, as the runtime addresses them: apiVersion from the API group's constant. */
import { API_VERSION } from '../../api/v1alpha1/index.js';

export const CLUSTER_GVK = { apiVersion: API_VERSION, kind: 'Cluster' } as const;
export const MACHINE_GVK = { apiVersion: API_VERSION, kind: 'Machine' } as const;
export const MACHINESET_GVK = { apiVersion: API_VERSION, kind: 'MachineSet' } as const;
export const MACHINEDEPLOYMENT_GVK = { apiVersion: API_VERSION, kind: 'MachineDeployment' } as const;

export const SECRET_GVK = { apiVersion: 'v1', kind: 'Secret' } as const;
export const CONFIGMAP_GVK = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
export const NODE_GVK = { apiVersion: 'v1', kind: 'Node' } as const;
