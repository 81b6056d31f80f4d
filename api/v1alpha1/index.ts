/** clusterd.dev/v1alpha1: Cluster, Machine, MachineSet, MachineDeployment. */
export * from './groupversion.js';
export * from './meta.js';
export * from './common.js';
export * from './cluster.js';
export * from './machine.js';
export * from './machineset.js';
export * from './machinedeployment.js';
export { KINDS, crdFor, allCRDs, crdFileName, type KindDef, type PrinterColumnDef } from './crds.js';
export * from './models.js';
