/** MachineDeployment: declarative rollouts of MachineSets, as a Deployment rolls ReplicaSets. */
import { Type, type Static } from '@sinclair/typebox';
import { LabelSelectorSchema } from './common.js';
import { MachineTemplateSchema } from './machine.js';
import { DeletePolicies, ReplicaStatusFields } from './machineset.js';
import type { KubeObject } from './meta.js';
import { IntOrString, StringEnum } from './schema-helpers.js';

export const StrategyTypes = ['RollingUpdate', 'OnDelete'] as const;
export type StrategyType = (typeof StrategyTypes)[number];

export const MachineDeploymentStrategySchema = Type.Object({
  type: Type.Optional(StringEnum(StrategyTypes, { default: 'RollingUpdate' })),
  rollingUpdate: Type.Optional(Type.Object({
    maxSurge: Type.Optional(IntOrString({ description: 'Machines above replicas during a rollout: a number or a percentage (rounded up).' })),
    maxUnavailable: Type.Optional(IntOrString({ description: 'Machines that may be unavailable during a rollout: a number or a percentage (rounded down).' })),
    deletePolicy: Type.Optional(StringEnum(DeletePolicies)),
  })),
}, { default: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
export type MachineDeploymentStrategy = Static<typeof MachineDeploymentStrategySchema>;

export const MachineDeploymentSpecSchema = Type.Object({
  clusterName: Type.String({ minLength: 1 }),
  replicas: Type.Optional(Type.Integer({ minimum: 0, default: 1 })),
  selector: LabelSelectorSchema,
  template: MachineTemplateSchema,
  strategy: Type.Optional(MachineDeploymentStrategySchema),
  minReadySeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  revisionHistoryLimit: Type.Optional(Type.Integer({ minimum: 0, default: 1 })),
  paused: Type.Optional(Type.Boolean()),
  progressDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 1, default: 600 })),
});
export type MachineDeploymentSpec = Static<typeof MachineDeploymentSpecSchema>;

export const MachineDeploymentStatusSchema = Type.Object({ ...ReplicaStatusFields });
export type MachineDeploymentStatus = Static<typeof MachineDeploymentStatusSchema>;

export interface MachineDeployment extends KubeObject {
  spec: MachineDeploymentSpec;
  status?: MachineDeploymentStatus;
}
