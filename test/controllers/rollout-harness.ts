/**
 * Test harness shared by the MachineSet, MachineDeployment and rollout tests: a real API server with the
 * clusterd CRDs, a Manager running only the worker controllers, and a stand-in for the Machine controller
 * that marks new Machines Running/Ready after a short random delay.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { API_VERSION, type Machine } from '../../api/v1alpha1/index.js';
import { repoRoot } from '../../lib/paths.js';
import { Client } from '../../runtime/client.js';
import { Manager } from '../../runtime/manager.js';
import type { KubeObject } from '../../runtime/types.js';
import { registerMachineDeploymentController } from '../../controllers/machinedeployment/index.js';
import { registerMachineSetController } from '../../controllers/machineset/index.js';
import { MACHINE_GVK } from '../../controllers/shared/gvk.js';
import { eventually as baseEventually, sleep } from '../support/eventually.js';

export interface Env {
  server: RunningApiServer;
  client: Client;
  close(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const server = await startApiServer();
  const client = new Client(server.kubeConfig());
  for (const f of readdirSync(join(repoRoot(), 'crds')).filter((n) => n.endsWith('.yaml')).sort()) {
    await client.create(yaml.load(readFileSync(join(repoRoot(), 'crds', f), 'utf8')) as KubeObject);
  }
  // CRDs are served asynchronously in a real server; wait until discovery knows every kind.
  for (const kind of ['Cluster', 'Machine', 'MachineSet', 'MachineDeployment']) {
    for (let i = 0; ; i++) {
      try {
        client.invalidateDiscovery();
        await client.resourceFor({ apiVersion: API_VERSION, kind });
        break;
      } catch (err) {
        if (i > 100) throw err;
        await sleep(50);
      }
    }
  }
  return {
    server,
    client,
    async close() {
      client.close();
      await server.close();
    },
  };
}

export interface RunningControllers {
  mgr: Manager;
  /** Stops abruptly: in-flight reconciles are abandoned, as when the daemon is killed. */
  kill(): Promise<void>;
}

export async function startControllers(env: Env, opts: { machineSets?: boolean; machineDeployments?: boolean } = {}): Promise<RunningControllers> {
  const mgr = new Manager({ kubeConfig: env.server.kubeConfig(), metricsBindAddress: '0', healthProbeBindAddress: '0', concurrency: 2, gracefulShutdownTimeoutMs: 1 });
  if (opts.machineSets ?? true) registerMachineSetController(mgr);
  if (opts.machineDeployments ?? true) registerMachineDeploymentController(mgr);
  const abort = new AbortController();
  const done = mgr.start(abort.signal);
  return {
    mgr,
    async kill() {
      abort.abort();
      await done;
    },
  };
}

export { sleep };

/** {@link baseEventually} with this folder's defaults. */
export function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  return baseEventually(what, fn, timeoutMs, 100);
}

export async function listMachines(client: Client, namespace = 'default'): Promise<Machine[]> {
  return (await client.list<KubeObject>(MACHINE_GVK, { namespace })).items as unknown as Machine[];
}

/** Marks a Machine Running and Ready, as the Machine controller would once its Node is Ready. */
export async function markReady(client: Client, m: Machine): Promise<void> {
  const now = new Date().toISOString();
  await client.patchStatus({ apiVersion: API_VERSION, kind: 'Machine', metadata: { name: m.metadata.name, namespace: m.metadata.namespace } }, {
    status: {
      phase: 'Running',
      nodeRef: { kind: 'Node', name: m.metadata.name ?? '' },
      version: m.spec.version,
      conditions: [{ type: 'Ready', status: 'True', reason: 'NodeReady', lastTransitionTime: now }],
    },
  });
}

/** The fake Machine controller: every Machine that is not Ready becomes Ready 20-150 ms after it is seen. */
export function fakeReadiness(client: Client, namespace = 'default'): { stop(): void } {
  let stopped = false;
  const seen = new Set<string>();
  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        for (const m of await listMachines(client, namespace)) {
          const name = m.metadata.name ?? '';
          if (seen.has(name) || m.status?.phase === 'Running' || m.metadata.deletionTimestamp) continue;
          seen.add(name);
          setTimeout(() => {
            if (!stopped) markReady(client, m).catch(() => seen.delete(name));
          }, 20 + Math.random() * 130);
        }
      } catch {
        // the server is going away at the end of a test
      }
      await sleep(50);
    }
  };
  void loop();
  return { stop: () => (stopped = true) };
}
