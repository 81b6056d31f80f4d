/** Cluster: infrastructure plus a kubeadm-bootstrapped control plane. */
import { Type, type Static } from '@sinclair/typebox';
import { BootstrapSchema, Conditions, InfrastructureRefSchema, KubernetesVersion, TemplateMetadataSchema } from './common.js';
import type { KubeObject } from './meta.js';
import { BoolMap, FreeForm, IntegerEnum, StringEnum, StringMap } from './schema-helpers.js';

const CidrBlocks = Type.Object({
  cidrBlocks: Type.Array(Type.String({ format: 'cidr' }), { minItems: 1, description: 'CIDR blocks, for example 10.96.0.0/12.' }),
});

export const ClusterNetworkSchema = Type.Object({
  services: Type.Optional(CidrBlocks),
  pods: Type.Optional(CidrBlocks),
  serviceDomain: Type.Optional(Type.String({ default: 'cluster.local', description: 'DNS domain of Services.' })),
  apiServerPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Port the API servers listen on (default 6443).' })),
});

export const APIEndpointSchema = Type.Object({
  host: Type.String({ description: 'Host name or IP address of the control-plane endpoint (a load balancer).' }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
}, { description: 'Where the control plane answers. Filled in by the infrastructure provider when empty.' });
export type APIEndpoint = Static<typeof APIEndpointSchema>;

const HostPathMount = Type.Object({
  name: Type.String({ minLength: 1 }),
  hostPath: Type.String({ minLength: 1 }),
  mountPath: Type.String({ minLength: 1 }),
  readOnly: Type.Optional(Type.Boolean()),
  pathType: Type.Optional(Type.String()),
});

const ControlPlaneComponent = Type.Object({
  extraArgs: Type.Optional(StringMap({ description: 'Extra command-line flags, name to value.' })),
  extraVolumes: Type.Optional(Type.Array(HostPathMount)),
});

export const KubeadmConfigSchema = Type.Object({
  apiServer: Type.Optional(Type.Object({
    certSANs: Type.Optional(Type.Array(Type.String(), { description: 'Extra subject alternative names for the API server certificate.' })),
    extraArgs: Type.Optional(StringMap()),
    extraVolumes: Type.Optional(Type.Array(HostPathMount)),
  })),
  controllerManager: Type.Optional(ControlPlaneComponent),
  scheduler: Type.Optional(ControlPlaneComponent),
  etcd: Type.Optional(Type.Object({
    local: Type.Optional(Type.Object({
      dataDir: Type.Optional(Type.String()),
      extraArgs: Type.Optional(StringMap()),
      serverCertSANs: Type.Optional(Type.Array(Type.String())),
      peerCertSANs: Type.Optional(Type.Array(Type.String())),
    })),
    external: Type.Optional(Type.Object({
      endpoints: Type.Array(Type.String(), { minItems: 1 }),
      caFile: Type.String(),
      certFile: Type.String(),
      keyFile: Type.String(),
    })),
  })),
  imageRepository: Type.Optional(Type.String({ description: 'Container image registry (default registry.k8s.io).' })),
  featureGates: Type.Optional(BoolMap()),
}, { description: 'kubeadm ClusterConfiguration overrides.' });
export type KubeadmConfig = Static<typeof KubeadmConfigSchema>;

export const ControlPlaneSchema = Type.Object({
  replicas: Type.Optional(IntegerEnum([1, 3, 5, 7] as const, { default: 1, description: 'Number of control-plane machines: odd, for etcd quorum.' })),
  version: KubernetesVersion,
  machineTemplate: Type.Optional(Type.Object({
    metadata: Type.Optional(TemplateMetadataSchema),
    infrastructure: Type.Optional(InfrastructureRefSchema),
    bootstrap: Type.Optional(BootstrapSchema),
    nodeDrainTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  })),
}, { description: 'A managed control plane. Without it, Machines labelled clusterd.dev/control-plane form the control plane.' });
export type ControlPlane = Static<typeof ControlPlaneSchema>;

export const ClusterSpecSchema = Type.Object({
  paused: Type.Optional(Type.Boolean({ description: 'Stops all reconciliation of this cluster\'s objects.' })),
  clusterNetwork: Type.Optional(ClusterNetworkSchema),
  controlPlaneEndpoint: Type.Optional(APIEndpointSchema),
  infrastructure: Type.Object({
    provider: Type.String({ minLength: 1, description: 'Infrastructure provider name, for example inmemory.' }),
    config: Type.Optional(FreeForm({ description: 'Provider-specific cluster configuration.' })),
  }),
  controlPlane: Type.Optional(ControlPlaneSchema),
  kubeadm: Type.Optional(KubeadmConfigSchema),
});
export type ClusterSpec = Static<typeof ClusterSpecSchema>;

export const ClusterPhases = ['Pending', 'Provisioning', 'Provisioned', 'Deleting', 'Failed'] as const;
export type ClusterPhase = (typeof ClusterPhases)[number];

export const ClusterStatusSchema = Type.Object({
  phase: Type.Optional(StringEnum(ClusterPhases)),
  infrastructureReady: Type.Optional(Type.Boolean()),
  controlPlaneInitialized: Type.Optional(Type.Boolean()),
  controlPlaneReady: Type.Optional(Type.Boolean()),
  controlPlane: Type.Optional(Type.Object({
    replicas: Type.Optional(Type.Integer({ minimum: 0 })),
    readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    updatedReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    version: Type.Optional(Type.String()),
    /** "ready/desired", for the printer column. */
    summary: Type.Optional(Type.String({ description: 'Ready over desired control-plane machines, for example 3/3.' })),
  })),
  conditions: Type.Optional(Conditions),
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  failureReason: Type.Optional(Type.String()),
  failureMessage: Type.Optional(Type.String()),
});
export type ClusterStatus = Static<typeof ClusterStatusSchema>;

export interface Cluster extends KubeObject {
  spec: ClusterSpec;
  status?: ClusterStatus;
}

export { TemplateMetadataSchema };
