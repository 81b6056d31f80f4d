/**
 * A management cluster for controller integration tests: the embedded API server over HTTPS with clusterd's
 * CRDs, a Manager, the in-memory provider in a temp dir, and the Cluster (and optionally Machine) controllers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { registerClusterController } from '../../controllers/cluster/index.js';
import { registerMachineController, type CloudInitRenderer } from '../../controllers/machine/index.js';
import { newWorkloadClusters } from '../../controllers/shared/workload-clusters.js';
import { silentLogger } from '../../lib/logging.js';
import { repoRoot } from '../../lib/paths.js';
import { ProviderRegistry } from '../../providers/registry.js';
import { createInMemoryProvider } from '../../providers/inmemory/provider.js';
import { createExampleProvider } from '../../providers/example/index.js';
import { Client } from '../../runtime/client.js';
import { createOrUpdate, loadManifests, waitForCRDsEstablished } from '../../runtime/install.js';
import { Manager } from '../../runtime/manager.js';
import { eventually as baseEventually } from '../support/eventually.js';

export interface ControllerEnv {
  server: RunningApiServer;
  client: Client;
  providers: ProviderRegistry;
  dataDir: string;
  close(): Promise<void>;
}

export async function startControllerEnv(opts: { machines?: CloudInitRenderer; pollIntervalMs?: number; orphanSweepIntervalMs?: number } = {}): Promise<ControllerEnv> {
  const dataDir = mkdtempSync(join(tmpdir(), 'clusterd-ctl-'));
  const server = await startApiServer({ port: 0 });
  const kc = server.kubeConfig();
  const client = new Client(kc);
  const crds = loadManifests(join(repoRoot(), 'crds')).filter((o) => o.kind === 'CustomResourceDefinition');
  await createOrUpdate(client, crds);
  await waitForCRDsEstablished(client, crds.map((c) => c.metadata.name!));
  const logger = silentLogger();
  const providers = new ProviderRegistry((name) => ({ dataDir: join(dataDir, 'providers', name), logger }));
  providers.register('inmemory', (ctx) => createInMemoryProvider(ctx));
  providers.register('example', createExampleProvider);
  const mgr = new Manager({ kubeConfig: kc, logger, concurrency: 2, metricsBindAddress: '0', healthProbeBindAddress: '0', gracefulShutdownTimeoutMs: 5000 });
  const workloads = newWorkloadClusters(mgr, logger);
  registerClusterController(mgr, { providers, workloads, logger, pollIntervalMs: opts.pollIntervalMs ?? 500, orphanSweepIntervalMs: opts.orphanSweepIntervalMs });
  if (opts.machines) registerMachineController(mgr, { providers, workloads, logger, renderCloudInit: opts.machines, pollIntervalMs: opts.pollIntervalMs ?? 500 });
  const abort = new AbortController();
  const running = mgr.start(abort.signal);
  return {
    server, client, providers, dataDir,
    async close() {
      abort.abort();
      await running.catch(() => undefined);
      await providers.close();
      client.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** {@link baseEventually} with this folder's defaults. */
export function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  return baseEventually(what, fn, timeoutMs, 100);
}
