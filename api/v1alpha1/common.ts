/** Schema pieces shared by the four kinds. */
import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_MINORS } from '../../lib/version.js';
import { FreeForm, MapList, StringEnum, StringMap } from './schema-helpers.js';

/**
 * Kubernetes versions clusterd installs: v1.MINOR.PATCH of a supported minor (lib/version.ts SUPPORTED_MINORS), so the
 * API server refuses a malformed or unsupported version at admission, naming the field.
 */
export const KubernetesVersion = Type.String({
  pattern: `^v1\\.(${SUPPORTED_MINORS.map((m) => m.split('.')[1]).join('|')})\\.(0|[1-9][0-9]*)$`,
  description: `Kubernetes version, v1.MINOR.PATCH of a supported minor (${SUPPORTED_MINORS.join(', ')}), for example ${DEFAULT_KUBERNETES_VERSION}.`,
});

export const ConditionSchema = Type.Object({
  type: Type.String({ description: 'Type of the condition, for example Ready or InfrastructureReady.', minLength: 1 }),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  severity: Type.Optional(StringEnum(['Error', 'Warning', 'Info', ''] as const, { description: 'How bad a False condition is.' })),
  reason: Type.Optional(Type.String({ description: 'CamelCase reason for the last transition.' })),
  message: Type.Optional(Type.String({ description: 'Human-readable detail.' })),
  lastTransitionTime: Type.Optional(Type.String({ format: 'date-time' })),
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
});
export type Condition = Static<typeof ConditionSchema>;

export const Conditions = MapList(ConditionSchema, ['type'], { description: 'Observations of the object\'s state.' });

export const ObjectReferenceSchema = Type.Object({
  apiVersion: Type.Optional(Type.String()),
  kind: Type.Optional(Type.String()),
  name: Type.String(),
  namespace: Type.Optional(Type.String()),
  uid: Type.Optional(Type.String()),
});
export type ObjectReference = Static<typeof ObjectReferenceSchema>;

export const LabelSelectorSchema = Type.Object({
  matchLabels: Type.Optional(StringMap()),
  matchExpressions: Type.Optional(Type.Array(Type.Object({
    key: Type.String(),
    operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const),
    values: Type.Optional(Type.Array(Type.String())),
  }))),
}, { description: 'A label query over Machines, as in Deployments.' });
export type LabelSelector = Static<typeof LabelSelectorSchema>;

export const TemplateMetadataSchema = Type.Object({
  labels: Type.Optional(StringMap()),
  annotations: Type.Optional(StringMap()),
});

export const InfrastructureRefSchema = Type.Object({
  provider: Type.Optional(Type.String({ description: 'Infrastructure provider name; a Machine defaults to its Cluster\'s.', minLength: 1 })),
  config: Type.Optional(FreeForm({ description: 'Provider-specific configuration, validated by the provider.' })),
});
export type InfrastructureRef = Static<typeof InfrastructureRefSchema>;

export const MachineAddressSchema = Type.Object({
  type: StringEnum(['Hostname', 'ExternalIP', 'InternalIP', 'ExternalDNS', 'InternalDNS'] as const),
  address: Type.String(),
});
export type MachineAddress = Static<typeof MachineAddressSchema>;

export const FileSchema = Type.Object({
  path: Type.String({ minLength: 1 }),
  content: Type.Optional(Type.String()),
  contentFrom: Type.Optional(Type.Object({
    secret: Type.Object({ name: Type.String(), key: Type.String() }),
  })),
  permissions: Type.Optional(Type.String({ pattern: '^0?[0-7]{3,4}$' })),
  owner: Type.Optional(Type.String()),
  encoding: Type.Optional(StringEnum(['base64', 'gzip', 'gzip+base64'] as const)),
  append: Type.Optional(Type.Boolean()),
});

export const UserSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  gecos: Type.Optional(Type.String()),
  groups: Type.Optional(Type.String()),
  shell: Type.Optional(Type.String()),
  sudo: Type.Optional(Type.String()),
  lockPassword: Type.Optional(Type.Boolean()),
  sshAuthorizedKeys: Type.Optional(Type.Array(Type.String())),
});

export const TaintSchema = Type.Object({
  key: Type.String({ minLength: 1 }),
  value: Type.Optional(Type.String()),
  effect: StringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const),
});
export type Taint = Static<typeof TaintSchema>;

export const BootstrapSchema = Type.Object({
  dataSecretName: Type.Optional(Type.String({ description: 'Secret holding the rendered cloud-init user-data (set by clusterd).' })),
  files: Type.Optional(Type.Array(FileSchema, { description: 'Extra files written by cloud-init.' })),
  preCommands: Type.Optional(Type.Array(Type.String(), { description: 'Commands run before the kubeadm-style bootstrap.' })),
  postCommands: Type.Optional(Type.Array(Type.String(), { description: 'Commands run after it.' })),
  users: Type.Optional(Type.Array(UserSchema)),
  kubeletExtraArgs: Type.Optional(StringMap()),
  nodeLabels: Type.Optional(StringMap({ description: 'Labels the node registers with.' })),
  nodeTaints: Type.Optional(Type.Array(TaintSchema, { description: 'Taints the node registers with.' })),
}, { description: 'Bootstrap configuration: what cloud-init does on the machine besides clusterd\'s kubeadm phases.' });
export type Bootstrap = Static<typeof BootstrapSchema>;

/** metadata as it appears in a CRD schema: validated by the API server itself. */
export const ObjectMetaSchema = Type.Unsafe<{ name?: string; namespace?: string }>({ type: 'object' });
