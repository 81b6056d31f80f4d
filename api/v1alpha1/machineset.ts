/** MachineSet: keeps a number of identical Machines, as a ReplicaSet keeps Pods. */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions, LabelSelectorSchema } from './common.js';
import { MachineTemplateSchema } from './machine.js';
import type { KubeObject } from './meta.js';
import { StringEnum } from './schema-helpers.js';

export const DeletePolicies = ['Random', 'Newest', 'Oldest'] as const;
export type DeletePolicy = (typeof DeletePolicies)[number];

export const MachineSetSpecSchema = Type.Object({
  clusterName: Type.String({ minLength: 1 }),
  replicas: Type.Optional(Type.Integer({ minimum: 0, default: 1 })),
  minReadySeconds: Type.Optional(Type.Integer({ minimum: 0, description: 'Seconds a Machine must be Ready to count as available.' })),
  deletePolicy: Type.Optional(StringEnum(DeletePolicies, { default: 'Random', description: 'Which Machines go first on scale down.' })),
  selector: LabelSelectorSchema,
  template: MachineTemplateSchema,
});
export type MachineSetSpec = Static<typeof MachineSetSpecSchema>;

export const ReplicaPhases = ['ScalingUp', 'ScalingDown', 'Running', 'Failed'] as const;
export type ReplicaPhase = (typeof ReplicaPhases)[number];

/** Status shared by MachineSet and MachineDeployment. */
export const ReplicaStatusFields = {
  replicas: Type.Optional(Type.Integer({ minimum: 0 })),
  readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  availableReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  updatedReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  unavailableReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  selector: Type.Optional(Type.String({ description: 'The label selector as a string, for the scale subresource.' })),
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  phase: Type.Optional(StringEnum(ReplicaPhases)),
  conditions: Type.Optional(Conditions),
};

export const MachineSetStatusSchema = Type.Object({
  ...ReplicaStatusFields,
  fullyLabeledReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  failureReason: Type.Optional(Type.String()),
  failureMessage: Type.Optional(Type.String()),
});
export type MachineSetStatus = Static<typeof MachineSetStatusSchema>;

export interface MachineSet extends KubeObject {
  spec: MachineSetSpec;
  status?: MachineSetStatus;
}
