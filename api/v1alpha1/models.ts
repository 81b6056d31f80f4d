/**
 * Model classes and type guards in the style of @kubernetes-models: `new Machine({metadata, spec})` fills in
 * apiVersion and kind, and `.validate()` checks the spec against the same TypeBox schema the CRD is made of,
 * so controllers find a malformed object they build before the API server does.
 */
import { Model, createTypeMetaGuard, setValidateFunc, type ModelData, type TypeMeta } from '@kubernetes-models/base';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { API_VERSION } from './groupversion.js';
import { ClusterSpecSchema, type Cluster as ClusterObject } from './cluster.js';
import { MachineSpecSchema, type Machine as MachineObject } from './machine.js';
import { MachineSetSpecSchema, type MachineSet as MachineSetObject } from './machineset.js';
import { MachineDeploymentSpecSchema, type MachineDeployment as MachineDeploymentObject } from './machinedeployment.js';

type Typed<T> = T & TypeMeta;

/** The first schema error of spec, as `spec.<path>: <message>`; undefined when valid. */
export function specError(schema: TSchema, spec: unknown): string | undefined {
  const first = Value.Errors(schema, spec).First();
  if (!first) return undefined;
  const path = first.path.split('/').filter(Boolean).join('.');
  return `spec${path ? '.' + path : ''}: ${first.message}`;
}

function validator<T extends { spec: unknown }>(schema: TSchema) {
  return (data: T): void => {
    const err = specError(schema, data.spec);
    if (err) throw new Error(err);
  };
}

function defineModel<T extends { spec: unknown }>(kind: string, schema: TSchema) {
  class M extends Model<Typed<T>> {
    static readonly apiVersion = API_VERSION;
    static readonly kind = kind;
    static readonly is = createTypeMetaGuard<Typed<T>>({ apiVersion: API_VERSION, kind });
    constructor(data?: ModelData<Typed<T>>) {
      super({ apiVersion: API_VERSION, kind, ...(data ?? {}) } as ModelData<Typed<T>>);
    }
  }
  setValidateFunc(M as never, validator<Typed<T>>(schema) as never);
  return M;
}

export const ClusterModel = defineModel<ClusterObject>('Cluster', ClusterSpecSchema);
export const MachineModel = defineModel<MachineObject>('Machine', MachineSpecSchema);
export const MachineSetModel = defineModel<MachineSetObject>('MachineSet', MachineSetSpecSchema);
export const MachineDeploymentModel = defineModel<MachineDeploymentObject>('MachineDeployment', MachineDeploymentSpecSchema);

export const isCluster = ClusterModel.is;
export const isMachine = MachineModel.is;
export const isMachineSet = MachineSetModel.is;
export const isMachineDeployment = MachineDeploymentModel.is;
