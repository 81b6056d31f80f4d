/** A demo cluster's objects as the controllers leave them mid-rollout: the input of the describe golden tests. */
import type { Cluster, Condition, Machine, MachineDeployment, MachineSet } from '../../api/v1alpha1/index.js';
import type { TreeInput } from '../../cmd/describe/tree.js';

export const NOW = new Date('2026-11-30T12:00:00Z');
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ok = (type: string, s: number, message = ''): Condition => ({ type, status: 'True', reason: type, message, lastTransitionTime: ago(s) });
const no = (type: string, reason: string, s: number, message: string, severity: Condition['severity'] = 'Info'): Condition =>
  ({ type, status: 'False', severity, reason, message, lastTransitionTime: ago(s) });
const API = 'clusterd.dev/v1alpha1';

function machine(name: string, opts: { cp?: boolean; set?: string; ready: Condition; extra?: Condition[] }): Machine {
  return {
    apiVersion: API, kind: 'Machine',
    metadata: {
      name, namespace: 'default', uid: `uid-${name}`,
      labels: { 'clusterd.dev/cluster-name': 'demo', ...(opts.cp ? { 'clusterd.dev/control-plane': '' } : {}) },
      ...(opts.set ? { ownerReferences: [{ apiVersion: API, kind: 'MachineSet', name: opts.set, uid: `uid-${opts.set}`, controller: true }] } : {}),
    },
    spec: { clusterName: 'demo', version: 'v1.37.2' },
    status: { phase: opts.ready.status === 'True' ? 'Running' : 'Provisioning', conditions: [opts.ready, ...(opts.extra ?? [])] },
  } as Machine;
}

export function demoTree(): TreeInput {
  const cluster = {
    apiVersion: API, kind: 'Cluster',
    metadata: { name: 'demo', namespace: 'default', uid: 'uid-demo', generation: 2 },
    spec: { infrastructure: { provider: 'inmemory' }, controlPlane: { replicas: 3, version: 'v1.37.2' } },
    status: {
      phase: 'Provisioned',
      controlPlane: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, version: 'v1.37.2' },
      conditions: [
        no('Ready', 'NotReady', 30, 'not ready: ControlPlaneReady'),
        ok('InfrastructureReady', 600),
        ok('CertificatesAvailable', 600),
        ok('ControlPlaneInitialized', 580),
        no('ControlPlaneReady', 'ScalingUp', 30, 'waiting for demo-control-plane-zzzzz to be Ready'),
      ],
    },
  } as Cluster;
  const md = {
    apiVersion: API, kind: 'MachineDeployment',
    metadata: { name: 'demo-workers', namespace: 'default', uid: 'uid-demo-workers', generation: 1 },
    spec: { clusterName: 'demo', replicas: 3, selector: { matchLabels: { pool: 'demo-workers' } }, template: { spec: { clusterName: 'demo' } } },
    status: {
      replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3, observedGeneration: 1,
      conditions: [ok('Available', 400, '3 of 3 Machines available (minimum 3)'), ok('Progressing', 400, 'MachineSet demo-workers-abc has successfully progressed')],
    },
  } as unknown as MachineDeployment;
  const ms = {
    apiVersion: API, kind: 'MachineSet',
    metadata: { name: 'demo-workers-abc', namespace: 'default', uid: 'uid-demo-workers-abc', ownerReferences: [{ apiVersion: API, kind: 'MachineDeployment', name: 'demo-workers', uid: 'uid-demo-workers', controller: true }] },
    spec: { clusterName: 'demo', replicas: 3, selector: { matchLabels: { pool: 'demo-workers' } }, template: { spec: { clusterName: 'demo' } } },
    status: { replicas: 3, readyReplicas: 3, conditions: [ok('Ready', 400, '3 of 3 Machines ready')] },
  } as unknown as MachineSet;
  const machines = [
    machine('demo-control-plane-aaaaa', { cp: true, ready: ok('Ready', 500), extra: [ok('InfrastructureReady', 560), ok('BootstrapReady', 570)] }),
    machine('demo-control-plane-bbbbb', { cp: true, ready: ok('Ready', 450) }),
    machine('demo-control-plane-zzzzz', { cp: true, ready: no('Ready', 'WaitingForNode', 30, 'waiting for the node to register') }),
    machine('demo-workers-abc-11111', { set: 'demo-workers-abc', ready: ok('Ready', 420) }),
    machine('demo-workers-abc-22222', { set: 'demo-workers-abc', ready: ok('Ready', 410) }),
    machine('demo-workers-abc-33333', { set: 'demo-workers-abc', ready: ok('Ready', 400) }),
    { ...machine('demo-gpu-1', { ready: no('Ready', 'Deleting', 5, 'the machine is being deleted') }), metadata: { ...machine('demo-gpu-1', { ready: ok('Ready', 1) }).metadata, deletionTimestamp: '2026-11-30T11:59:55Z', finalizers: ['machine.clusterd.dev'] } } as Machine,
    machine('demo-gpu-0', { ready: no('Ready', 'BootstrapFileSecretMissing', 90, 'spec.bootstrap.files[0].contentFrom.secret: Not found: secret "motd" in namespace "default"', 'Error') }),
  ];
  // An object of another cluster in the same namespace: never part of demo's tree.
  machines.push({ ...machine('other-0', { ready: ok('Ready', 10) }), spec: { clusterName: 'other' } } as Machine);
  return { cluster, machines, machineSets: [ms], machineDeployments: [md] };
}
