/** The MachineSet a MachineDeployment creates for its current template. */
import { API_VERSION, Annotations, Labels, type MachineDeployment, type MachineSet } from '../../api/v1alpha1/index.js';
import { ownerReference } from '../../runtime/meta.js';
import { templateHash, templateWithoutHash } from '../shared/template-hash.js';

/** `<md>-<hash>`, shortened so the Machines' generated names stay within 63 characters. */
export function machineSetName(md: MachineDeployment, hash: string): string {
  return `${(md.metadata.name ?? '').slice(0, 63 - 6 - hash.length - 1)}-${hash}`;
}

export function replicaAnnotations(desired: number, maxSurge: number): Record<string, string> {
  return { [Annotations.desiredReplicas]: String(desired), [Annotations.maxReplicas]: String(desired + maxSurge) };
}

export function newMachineSetFor(md: MachineDeployment, replicas: number, revision: number, maxSurge: number): MachineSet {
  const hash = templateHash(md.spec.template);
  const template = templateWithoutHash(md.spec.template);
  // The template gets only the hash label, so it still equals the deployment's template minus that label;
  // the MachineSet controller puts the deployment and cluster labels on each Machine.
  const labels = { ...template.metadata?.labels, [Labels.templateHash]: hash };
  return {
    apiVersion: API_VERSION,
    kind: 'MachineSet',
    metadata: {
      name: machineSetName(md, hash),
      namespace: md.metadata.namespace,
      labels: { ...labels, [Labels.deploymentName]: md.metadata.name ?? '', [Labels.clusterName]: md.spec.clusterName },
      annotations: { [Annotations.revision]: String(revision), ...replicaAnnotations(md.spec.replicas ?? 1, maxSurge) },
      ownerReferences: [ownerReference({ ...md, apiVersion: md.apiVersion ?? API_VERSION, kind: md.kind ?? 'MachineDeployment' }, true)],
    },
    spec: {
      clusterName: md.spec.clusterName,
      replicas,
      minReadySeconds: md.spec.minReadySeconds ?? 0,
      deletePolicy: md.spec.strategy?.rollingUpdate?.deletePolicy ?? 'Random',
      selector: {
        ...md.spec.selector,
        matchLabels: { ...md.spec.selector.matchLabels, [Labels.templateHash]: hash },
      },
      template: { ...template, metadata: { ...template.metadata, labels } },
    },
  };
}
