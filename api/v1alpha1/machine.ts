/** Machine: one host, created by an infrastructure provider and bootstrapped by cloud-init. */
import { Type, type Static } from '@sinclair/typebox';
import { BootstrapSchema, Conditions, InfrastructureRefSchema, KubernetesVersion, MachineAddressSchema, ObjectReferenceSchema } from './common.js';
import type { KubeObject } from './meta.js';
import { StringEnum } from './schema-helpers.js';

export const MachineSpecSchema = Type.Object({
  clusterName: Type.String({ minLength: 1, description: 'Name of the Cluster this Machine belongs to (same namespace).' }),
  version: Type.Optional(KubernetesVersion),
  infrastructure: Type.Optional(InfrastructureRefSchema),
  bootstrap: Type.Optional(BootstrapSchema),
  providerID: Type.Optional(Type.String({ description: 'Set by clusterd from the provider; matches the Node\'s spec.providerID.' })),
  failureDomain: Type.Optional(Type.String()),
  nodeDrainTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, description: 'How long to drain before deleting anyway.' })),
});
export type MachineSpec = Static<typeof MachineSpecSchema>;

export const MachinePhases = ['Pending', 'Provisioning', 'Provisioned', 'Running', 'Deleting', 'Failed'] as const;
export type MachinePhase = (typeof MachinePhases)[number];

export const MachineStatusSchema = Type.Object({
  phase: Type.Optional(StringEnum(MachinePhases)),
  bootstrapReady: Type.Optional(Type.Boolean()),
  infrastructureReady: Type.Optional(Type.Boolean()),
  nodeRef: Type.Optional(ObjectReferenceSchema),
  addresses: Type.Optional(Type.Array(MachineAddressSchema)),
  version: Type.Optional(Type.String()),
  conditions: Type.Optional(Conditions),
  failureReason: Type.Optional(Type.String()),
  failureMessage: Type.Optional(Type.String()),
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  lastUpdated: Type.Optional(Type.String({ format: 'date-time' })),
});
export type MachineStatus = Static<typeof MachineStatusSchema>;

export interface Machine extends KubeObject {
  spec: MachineSpec;
  status?: MachineStatus;
}

export const MachineTemplateSchema = Type.Object({
  metadata: Type.Optional(Type.Object({
    labels: Type.Optional(Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' } })),
    annotations: Type.Optional(Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' } })),
  })),
  spec: MachineSpecSchema,
}, { description: 'The Machines to create.' });
export type MachineTemplate = Static<typeof MachineTemplateSchema>;
