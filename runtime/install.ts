/**
 * Create-or-update of manifests (what `kubectl apply` does for a fresh object, without server-side apply,
 * so it works on any API server), and waiting for CustomResourceDefinitions to be Established.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Client } from './client.js';
import { isAlreadyExists } from './errors.js';
import type { KubeObject } from './types.js';

/** Every YAML document of every *.yaml / *.yml file in dir, in file-name order (kustomization files excepted). */
export function loadManifests(dir: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n) && !/^kustomization\.ya?ml$/i.test(n)).sort()) {
    for (const doc of yaml.loadAll(readFileSync(join(dir, f), 'utf8'))) {
      if (doc === null || doc === undefined) continue;
      const o = doc as Partial<KubeObject>;
      if (typeof o !== 'object' || !o.apiVersion || !o.kind || !o.metadata?.name) {
        throw new Error(`${join(dir, f)}: every document needs apiVersion, kind and metadata.name`);
      }
      out.push(o as KubeObject);
    }
  }
  return out;
}

/** Creates each object, or replaces it (keeping the server's resourceVersion) when it exists. */
export async function createOrUpdate(client: Client, objs: KubeObject[]): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const obj of objs) {
    try {
      out.push(await client.create(obj));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const current = await client.get({ apiVersion: obj.apiVersion!, kind: obj.kind! }, { namespace: obj.metadata.namespace, name: obj.metadata.name! });
      out.push(await client.update({ ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata.resourceVersion } }));
    }
  }
  return out;
}

interface Crd extends KubeObject {
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}

const CRD_GVK = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

/** Waits until every named CRD has condition Established=True (and fails if one is NamesAccepted=False). */
export async function waitForCRDsEstablished(client: Client, names: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await client.get<Crd>(CRD_GVK, { name });
      const conds = crd.status?.conditions ?? [];
      if (conds.some((c) => c.type === 'Established' && c.status === 'True')) break;
      const rejected = conds.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
      if (rejected) throw new Error(`CustomResourceDefinition ${name}: names not accepted: ${rejected.message ?? ''}`);
      if (Date.now() > deadline) throw new Error(`CustomResourceDefinition ${name} not established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.invalidateDiscovery();
}
