/**
 * The infrastructure provider contract: what the Cluster and Machine controllers call to get a load
 * balancer and machines, whatever the cloud. Documented with an example in docs/providers.md.
 *
 * Every operation is idempotent and keyed on the object it is given (namespace/name), so a controller
 * that crashed half way simply calls it again. An operation answers in one of three ways:
 *   - done:    { status: 'done', value }
 *   - pending: { status: 'pending', requeueAfterMs, message? }  still working; call again after that long
 *   - failed:  { status: 'failed', reason, message }            failed for good; retrying will not help
 * A thrown error (or rejected promise) is transient: the controller retries with backoff.
 */
import type { JSONSchemaProps, FieldError } from '../apiserver/types.js';
import type { Logger } from '../lib/logging.js';

export type { JSONSchemaProps, FieldError };

/** `spec.infrastructure` of a Cluster or Machine (api/v1alpha1 InfrastructureRef). */
export interface InfrastructureSpec {
  provider?: string;
  config?: Record<string, unknown>;
}

export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The parts of a clusterd.dev/v1alpha1 Cluster a provider may read. */
export interface ClusterLike {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMetaLike;
  spec?: {
    infrastructure?: InfrastructureSpec;
    controlPlaneEndpoint?: { host: string; port: number };
    [key: string]: unknown;
  };
}

/** The parts of a clusterd.dev/v1alpha1 Machine a provider may read. */
export interface MachineLike {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMetaLike;
  spec?: {
    clusterName?: string;
    version?: string;
    providerID?: string;
    infrastructure?: InfrastructureSpec;
    [key: string]: unknown;
  };
}

export type OperationResult<T> =
  | { status: 'done'; value: T }
  | { status: 'pending'; requeueAfterMs: number; message?: string }
  | { status: 'failed'; reason: string; message: string };

export const done = <T>(value: T): OperationResult<T> => ({ status: 'done', value });
export const pending = <T>(requeueAfterMs: number, message?: string): OperationResult<T> => ({ status: 'pending', requeueAfterMs, message });
export const failed = <T>(reason: string, message: string): OperationResult<T> => ({ status: 'failed', reason, message });

export interface ClusterInfrastructure {
  /** True once the cluster's infrastructure (network, load balancer) is usable. */
  ready: boolean;
  /** Where the workload cluster's API will answer; the controller copies it to spec.controlPlaneEndpoint. */
  controlPlaneEndpoint?: { host: string; port: number };
}

export type MachineAddressType = 'Hostname' | 'ExternalIP' | 'InternalIP' | 'ExternalDNS' | 'InternalDNS';
export interface MachineAddress {
  type: MachineAddressType;
  address: string;
}

/**
 * Lifecycle of a provider machine. Provisioning: created, not booted yet; Running: booted and cloud-init
 * started (the Node appears in the workload cluster once bootstrap succeeds); Failed: dead for good;
 * Deleting: going away.
 */
export type MachineState = 'Provisioning' | 'Running' | 'Failed' | 'Deleting';

export interface ProviderMachine {
  /** Stable and unique; the kubelet puts the same value in the Node's spec.providerID. */
  providerID: string;
  addresses: MachineAddress[];
  state: MachineState;
  /** For Failed machines: why, without secrets. */
  failureReason?: string;
  failureMessage?: string;
  /**
   * What the provider knows of the machine's bootstrap run (cloud-init and the agent it runs), if it can tell: a
   * Failed one never produces a Node, and the Machine says so instead of waiting for one. Messages carry no secrets.
   */
  bootstrap?: { state: 'Running' | 'Succeeded' | 'Failed'; reason?: string; message?: string };
}

/** A provider machine as listMachines reports it, with the Machine it was created for. */
export interface ListedMachine extends ProviderMachine {
  machineName: string;
  machineNamespace: string;
  machineUID?: string;
}

export interface ClusterRequest {
  cluster: ClusterLike;
}

export interface MachineRequest {
  cluster: ClusterLike;
  machine: MachineLike;
}

export interface CreateMachineRequest extends MachineRequest {
  /** The rendered cloud-init user-data (`#cloud-config` ...). Contains secrets: never log it. */
  userData: string;
}

/** What a provider gets from the daemon when it is created. */
export interface ProviderContext {
  /** A directory the provider owns for its own state (under the daemon's data dir). */
  dataDir: string;
  logger: Logger;
}

export interface InfrastructureProvider {
  readonly name: string;
  /**
   * Schema of `spec.infrastructure.config` on Clusters and Machines (a structural-schema subset; unknown
   * fields are rejected unless the schema allows them). Checked by validateProviderConfig before any call.
   */
  readonly configSchema: JSONSchemaProps;
  /** Optional semantic checks beyond the schema (cross-field rules). fieldPath prefixes every error. */
  validateConfig?(config: Record<string, unknown>, fieldPath: string): FieldError[];

  reconcileClusterInfrastructure(req: ClusterRequest): Promise<OperationResult<ClusterInfrastructure>>;
  deleteClusterInfrastructure(req: ClusterRequest): Promise<OperationResult<void>>;
  /** Creates the machine if it does not exist yet (keyed on the Machine's namespace/name), else reports it. */
  createOrGetMachine(req: CreateMachineRequest): Promise<OperationResult<ProviderMachine>>;
  /** Deletes the machine; done when it is gone (also when it never existed). */
  deleteMachine(req: MachineRequest): Promise<OperationResult<void>>;
  /** Every machine the provider holds for the cluster, so controllers can find orphans. */
  listMachines?(req: ClusterRequest): Promise<ListedMachine[]>;
  /** Releases timers, sockets and simulated processes (daemon shutdown); provider state stays on disk. */
  close?(): Promise<void>;
}

/** How a provider is created: the daemon gives it its data dir and logger. */
export type ProviderFactory = (ctx: ProviderContext) => InfrastructureProvider | Promise<InfrastructureProvider>;
