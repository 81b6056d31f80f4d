/** The Machine a MachineSet creates from its template. */
import { API_VERSION, Labels, type Machine, type MachineSet } from '../../api/v1alpha1/index.js';
import { ownerReference } from '../../runtime/meta.js';

export function machineFromTemplate(ms: MachineSet): Machine {
  const name = ms.metadata.name ?? '';
  const tmpl = ms.spec.template;
  const deployment = ms.metadata.labels?.[Labels.deploymentName];
  return {
    apiVersion: API_VERSION,
    kind: 'Machine',
    metadata: {
      // generateName gives "<ms>-<random5>"; the API server picks the suffix, so two creates never collide.
      generateName: `${name}-`,
      namespace: ms.metadata.namespace,
      labels: {
        ...tmpl.metadata?.labels,
        ...(deployment ? { [Labels.deploymentName]: deployment } : {}),
        [Labels.setName]: name,
        [Labels.clusterName]: ms.spec.clusterName,
      },
      ...(tmpl.metadata?.annotations ? { annotations: { ...tmpl.metadata.annotations } } : {}),
      ownerReferences: [ownerReference({ ...ms, apiVersion: ms.apiVersion ?? API_VERSION, kind: ms.kind ?? 'MachineSet' }, true)],
    },
    spec: structuredClone({ ...tmpl.spec, clusterName: tmpl.spec.clusterName || ms.spec.clusterName }),
  };
}
