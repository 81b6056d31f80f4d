/**
 * The CustomResourceDefinitions, built from the TypeBox schemas beside this file. crds/*.yaml is generated
 * from here (`make generate`), and a test fails when the two drift apart.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { ClusterSpecSchema, ClusterStatusSchema } from './cluster.js';
import { MachineSpecSchema, MachineStatusSchema } from './machine.js';
import { MachineSetSpecSchema, MachineSetStatusSchema } from './machineset.js';
import { MachineDeploymentSpecSchema, MachineDeploymentStatusSchema } from './machinedeployment.js';
import { ObjectMetaSchema } from './common.js';
import { GROUP, VERSION } from './groupversion.js';

export interface PrinterColumnDef {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDef {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: TSchema;
  status: TSchema;
  columns: PrinterColumnDef[];
  scale: boolean;
}

const age: PrinterColumnDef = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const replicaColumns = (versionPath: string): PrinterColumnDef[] => [
  { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName' },
  { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired Machines' },
  { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
  { name: 'Updated', type: 'integer', jsonPath: '.status.updatedReplicas' },
  { name: 'Unavailable', type: 'integer', jsonPath: '.status.unavailableReplicas' },
  { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
  age,
  { name: 'Version', type: 'string', jsonPath: versionPath },
];

export const KINDS: KindDef[] = [
  {
    kind: 'Cluster', plural: 'clusters', singular: 'cluster', shortNames: ['cl'],
    description: 'A Kubernetes cluster: infrastructure and a kubeadm-bootstrapped control plane.',
    spec: ClusterSpecSchema, status: ClusterStatusSchema, scale: false,
    columns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Control Plane', type: 'string', jsonPath: '.status.controlPlane.summary', description: 'Ready/desired control-plane machines' },
      { name: 'Version', type: 'string', jsonPath: '.spec.controlPlane.version' },
      { name: 'Endpoint', type: 'string', jsonPath: '.spec.controlPlaneEndpoint.host' },
      { name: 'Port', type: 'integer', jsonPath: '.spec.controlPlaneEndpoint.port', priority: 1 },
      age,
    ],
  },
  {
    kind: 'Machine', plural: 'machines', singular: 'machine', shortNames: ['ma'],
    description: 'A host created by an infrastructure provider and bootstrapped into a cluster.',
    spec: MachineSpecSchema, status: MachineStatusSchema, scale: false,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName' },
      { name: 'Node', type: 'string', jsonPath: '.status.nodeRef.name' },
      { name: 'Provider ID', type: 'string', jsonPath: '.spec.providerID' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      age,
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
    ],
  },
  {
    kind: 'MachineSet', plural: 'machinesets', singular: 'machineset', shortNames: ['ms'],
    description: 'Keeps a number of identical Machines running.',
    spec: MachineSetSpecSchema, status: MachineSetStatusSchema, scale: true,
    columns: replicaColumns('.spec.template.spec.version'),
  },
  {
    kind: 'MachineDeployment', plural: 'machinedeployments', singular: 'machinedeployment', shortNames: ['md'],
    description: 'Declarative, rolling updates of Machines through MachineSets.',
    spec: MachineDeploymentSpecSchema, status: MachineDeploymentStatusSchema, scale: true,
    columns: replicaColumns('.spec.template.spec.version'),
  },
];

/** A TypeBox schema as plain JSON: TypeBox's symbol-keyed bookkeeping does not survive JSON. */
function plain(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/** The apiextensions.k8s.io/v1 CustomResourceDefinition of one kind. */
export function crdFor(def: KindDef): Record<string, unknown> {
  const openAPIV3Schema = plain(Type.Object({
    apiVersion: Type.Optional(Type.String({ description: 'Versioned schema of this representation of an object.' })),
    kind: Type.Optional(Type.String({ description: 'REST resource this object represents.' })),
    metadata: Type.Optional(ObjectMetaSchema),
    spec: def.spec,
    status: Type.Optional(def.status),
  }, { description: def.description }));
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ['clusterd'],
      },
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        schema: { openAPIV3Schema },
        subresources: def.scale
          ? { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } }
          : { status: {} },
        additionalPrinterColumns: def.columns,
      }],
    },
  };
}

export function allCRDs(): Record<string, unknown>[] {
  return KINDS.map(crdFor);
}

/** The file in crds/ each CRD is written to. */
export function crdFileName(def: KindDef): string {
  return `${GROUP}_${def.plural}.yaml`;
}
