/**
 * A Machine's bootstrap data as its own unit, as Cluster API keeps it in a bootstrap provider: the kubeadm role the
 * Machine gets (one init per cluster, claimed on the Cluster), the credentials that role needs (a join token in the
 * workload cluster, the certificate key and kubeadm-certs for control-plane joins, the shared PKI for init), the
 * rendered cloud-init, and the `<machine>-bootstrap` Secret it lives in. The Machine controller only asks for it
 * and records the Secret's name.
 */
import type { Logger } from 'pino';
import { Labels, type Cluster, type Machine } from '../../api/v1alpha1/index.js';
import { caCertHash } from '../../lib/pki.js';
import type { Client } from '../../runtime/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../runtime/errors.js';
import { ownerReference } from '../../runtime/meta.js';
import type { EventRecorder } from '../../runtime/recorder.js';
import { errMessage } from '../shared/deps.js';
import { CLUSTER_GVK, MACHINE_GVK, SECRET_GVK } from '../shared/gvk.js';
import { certificateKeySecretStore, ensureKubeadmCerts, joinTokenSecret } from '../shared/kubeadm-certs.js';
import { BOOTSTRAP_SECRET_TYPE, ControllerAnnotations, secretNames } from '../shared/names.js';
import { clusterOwnerRef } from '../shared/owner.js';
import { getSecret, readClusterPKI } from '../shared/pki.js';
import type { WorkloadClusters } from '../shared/workload-clusters.js';
import { bootstrapExtras, machineVersion, type BootstrapDataInput, type CloudInitRenderer } from './bootstrap-data.js';
import { resolveFileContent } from './file-content.js';
import { decideRole, type BootstrapRole } from './role.js';

const DEFAULT_JOIN_TOKEN_TTL = 15 * 60;

export type BootstrapOutcome =
  | { secretName: string; userData: string }
  | { waiting: string; reason: string; requeueAfter?: number };

export interface BootstrapOptions {
  client: Client;
  recorder: EventRecorder;
  workloads: WorkloadClusters;
  render: CloudInitRenderer;
  /** Bootstrap token TTL for joins (default 15 minutes). */
  joinTokenTTLSeconds?: number;
}

export class MachineBootstrap {
  private readonly client: Client;
  private readonly ttlSeconds: number;

  constructor(private readonly opts: BootstrapOptions) {
    this.client = opts.client;
    this.ttlSeconds = opts.joinTokenTTLSeconds ?? DEFAULT_JOIN_TOKEN_TTL;
  }

  /** The bootstrap Secret: reused when it exists, else rendered for the role this Machine gets. */
  async reconcile(machine: Machine, cluster: Cluster, ep: { host: string; port: number }, log: Logger): Promise<BootstrapOutcome> {
    const ns = machine.metadata.namespace ?? 'default';
    const secretName = secretNames.bootstrap(machine.metadata.name!);
    const existing = await getSecret(this.client, ns, secretName);
    if (existing && existing.data?.value) {
      const age = Date.now() - Date.parse(String(existing.metadata.creationTimestamp ?? ''));
      // Not handed to the provider yet and its token is about to expire: render it again.
      const annotations = existing.metadata.annotations as Record<string, string> | undefined;
      if (!machine.spec.providerID && age > this.ttlSeconds * 1000 - 120_000 && annotations?.['clusterd.dev/role'] !== 'init') {
        await this.client.delete({ ...SECRET_GVK, metadata: { name: secretName, namespace: ns } }).catch(() => undefined);
      } else {
        return { secretName, userData: Buffer.from(existing.data.value, 'base64').toString('utf8') };
      }
    }
    const version = machineVersion(machine, cluster);
    if (!version) return { waiting: 'spec.version: Required value: the Machine has no version and the Cluster has no managed control plane', reason: 'MissingVersion', requeueAfter: 30_000 };

    // Before anything is created for this Machine (a join token), so a missing Secret costs nothing.
    const files = await resolveFileContent(bootstrapExtras(machine), async (name) => (await getSecret(this.client, ns, name))?.data);
    // Looked for again on the poll: watching every Secret of every namespace for this would cache them all.
    if (files.missing) return { waiting: files.missing, reason: 'BootstrapFileSecretMissing' };

    const role = await this.claimRole(machine, cluster);
    if ('wait' in role) return { waiting: role.wait, reason: 'WaitingForControlPlane' };
    const pki = await readClusterPKI(this.client, ns, cluster.metadata.name!);
    if (!pki) return { waiting: 'waiting for the cluster certificates', reason: 'WaitingForCertificates' };

    const input: BootstrapDataInput = {
      role: role.role,
      clusterName: cluster.metadata.name!,
      nodeName: machine.metadata.name!,
      version,
      controlPlaneEndpoint: ep,
      clusterNetwork: cluster.spec.clusterNetwork,
      kubeadm: cluster.spec.kubeadm,
      token: '',
      caCertHashes: [caCertHash(pki.ca.certPem)],
      extras: files.extras,
    };
    if (role.role === 'init') {
      const keys = certificateKeySecretStore(this.client, ns, cluster.metadata.name!, [clusterOwnerRef(cluster)]);
      input.certificateKey = await keys.read();
      if (!input.certificateKey) return { waiting: 'waiting for the cluster certificate key', reason: 'WaitingForCertificates' };
      input.token = joinTokenSecret(this.ttlSeconds, 'init').token;
      input.certs = pki;
    } else {
      let wc: Client;
      try {
        wc = await this.opts.workloads.client(ns, cluster.metadata.name!);
      } catch (err) {
        return { waiting: `cannot reach the workload cluster yet: ${errMessage(err)}`, reason: 'WaitingForControlPlane' };
      }
      if (role.role === 'join-control-plane') {
        const keys = certificateKeySecretStore(this.client, ns, cluster.metadata.name!, [clusterOwnerRef(cluster)]);
        const r = await ensureKubeadmCerts({ lockKey: `${ns}/${cluster.metadata.name}`, workload: wc, keys, pki });
        if (r.uploaded) this.opts.recorder.event(cluster, 'Normal', 'CertificatesUploaded', 'uploaded the shared certificates to kubeadm-certs under a fresh certificate key');
        input.certificateKey = r.certificateKey;
      }
      const { token, secret } = joinTokenSecret(this.ttlSeconds, `clusterd join token for Machine ${ns}/${machine.metadata.name}`);
      await wc.create(secret);
      input.token = token;
    }
    const userData = this.opts.render(input);
    try {
      await this.client.create({
        ...SECRET_GVK,
        metadata: {
          name: secretName, namespace: ns,
          labels: { [Labels.clusterName]: cluster.metadata.name! },
          annotations: { 'clusterd.dev/role': role.role },
          ownerReferences: [ownerReference({ ...machine, apiVersion: MACHINE_GVK.apiVersion, kind: MACHINE_GVK.kind }, true)],
        },
        type: BOOTSTRAP_SECRET_TYPE,
        data: { value: Buffer.from(userData).toString('base64'), format: Buffer.from('cloud-config').toString('base64') },
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const again = await getSecret(this.client, ns, secretName);
      return { secretName, userData: Buffer.from(again?.data?.value ?? '', 'base64').toString('utf8') };
    }
    log.info({ role: role.role }, 'bootstrap data rendered');
    this.opts.recorder.event(machine, 'Normal', 'BootstrapDataReady', `rendered cloud-init (${role.role}) into Secret ${secretName}`);
    return { secretName, userData };
  }

  /** The Machine's role; the init slot is claimed on the Cluster with optimistic concurrency, so only one Machine inits. */
  private async claimRole(machine: Machine, cluster: Cluster): Promise<{ role: BootstrapRole } | { wait: string }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimedBy = cluster.metadata.annotations?.[ControllerAnnotations.initMachine];
      let claimantExists = false;
      if (claimedBy && claimedBy !== machine.metadata.name) {
        try {
          const other = await this.client.get<Machine>(MACHINE_GVK, { namespace: machine.metadata.namespace, name: claimedBy });
          claimantExists = !other.metadata.deletionTimestamp;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      const d = decideRole(machine, cluster, claimantExists);
      if (!('claimInit' in d)) return d;
      try {
        // resourceVersion makes the claim atomic: a concurrent claim conflicts and we decide again.
        cluster = await this.client.patch<Cluster>(cluster, {
          metadata: { resourceVersion: cluster.metadata.resourceVersion, annotations: { [ControllerAnnotations.initMachine]: machine.metadata.name! } },
        });
      } catch (err) {
        if (!isConflict(err)) throw err;
        cluster = await this.client.get<Cluster>(CLUSTER_GVK, { namespace: cluster.metadata.namespace, name: cluster.metadata.name! });
      }
    }
    return { wait: 'another control-plane machine is claiming init' };
  }
}
