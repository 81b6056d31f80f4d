/**
 * The Machine controller's renderer: its BootstrapDataInput, in API terms, becomes bootstrap's CloudInitInput.
 * The PKI is bootstrap's type already; the Machine's bootstrap extras are the API's (Cluster API's KubeadmConfig
 * spelling: encoding base64, groups as one string), which the renderer takes in cloud-init's.
 */
import { renderCloudInit, type CloudInitInput } from '../../bootstrap/index.js';
import type { Bootstrap } from '../../api/v1alpha1/index.js';
import type { BootstrapDataInput, CloudInitRenderer } from './bootstrap-data.js';

type Extras = NonNullable<CloudInitInput['extras']>;

function files(b: Bootstrap): Extras['files'] {
  return b.files?.map((f, i) => {
    if (f.content === undefined) {
      // The Machine controller inlines contentFrom (file-content.ts) before rendering.
      throw new Error(`spec.bootstrap.files[${i}]: neither content nor a resolved contentFrom`);
    }
    const encoding = f.encoding === 'base64' ? 'b64' : f.encoding ? 'gz+b64' : undefined;
    return { path: f.path, content: f.content, permissions: f.permissions, owner: f.owner, ...(encoding ? { encoding } : {}) };
  });
}

function extras(b: Bootstrap | undefined): Extras | undefined {
  if (!b) return undefined;
  return {
    files: files(b),
    preCommands: b.preCommands,
    postCommands: b.postCommands,
    users: b.users?.map((u) => ({
      name: u.name,
      sshAuthorizedKeys: u.sshAuthorizedKeys,
      sudo: u.sudo,
      shell: u.shell,
      groups: u.groups?.split(',').map((g) => g.trim()).filter(Boolean),
    })),
    kubeletExtraArgs: b.kubeletExtraArgs,
    nodeLabels: b.nodeLabels,
    nodeTaints: b.nodeTaints,
  };
}

export function toCloudInitInput(i: BootstrapDataInput): CloudInitInput {
  return {
    role: i.role,
    nodeName: i.nodeName,
    clusterName: i.clusterName,
    version: i.version,
    controlPlaneEndpoint: i.controlPlaneEndpoint,
    clusterNetwork: i.clusterNetwork,
    kubeadm: i.kubeadm,
    bootstrapToken: i.token,
    caCertHashes: i.caCertHashes,
    certificateKey: i.certificateKey,
    pki: i.certs,
    extras: extras(i.extras),
  };
}

/** The renderer the daemon gives the Machine controller. */
export const renderMachineCloudInit: CloudInitRenderer = (input) => renderCloudInit(toCloudInitInput(input));
