/**
 * What the Machine controller hands the cloud-init renderer: bootstrap's own input, in the API's terms (the renderer
 * belongs to bootstrap/, as Cluster API keeps it in its bootstrap provider). The controller always pins the CA.
 */
import type { Bootstrap, Cluster, Machine } from '../../api/v1alpha1/index.js';
import type { CloudInitInput } from '../../bootstrap/index.js';

export type BootstrapDataInput = CloudInitInput & { caCertHashes: string[] };

export type CloudInitRenderer = (input: BootstrapDataInput) => string;

/** The Machine's bootstrap extras, without the field clusterd fills in. */
export function bootstrapExtras(m: Machine): Bootstrap | undefined {
  if (!m.spec.bootstrap) return undefined;
  const { dataSecretName: _d, ...rest } = m.spec.bootstrap;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** The Kubernetes version a Machine installs: its own, else the managed control plane's. */
export function machineVersion(m: Machine, c: Cluster): string | undefined {
  return m.spec.version ?? c.spec.controlPlane?.version;
}
