/**
 * `clusterd run`: the daemon. With a kubeconfig (flag, KUBECONFIG, or the in-cluster service account) it
 * reconciles in that cluster and installs nothing. Without one it starts the embedded API server, installs
 * crds/ into it, writes <data-dir>/kubeconfig and says what to run next, kubeadm-style.
 */
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { KubeConfig } from '@kubernetes/client-node';
import type { LevelWithSilent } from 'pino';
import { startApiServer, type RunningApiServer } from '../apiserver/index.js';
import { registerControllers } from '../controllers/index.js';
import { defaultRegistry, loadProviderModule, type ProviderRegistry } from '../providers/registry.js';
import { LOG_FORMATS, newLogger, type LogFormat, type Logger } from '../lib/logging.js';
import { repoRoot } from '../lib/paths.js';
import { Client } from '../runtime/client.js';
import { createOrUpdate, loadManifests, waitForCRDsEstablished } from '../runtime/install.js';
import { LeaderElectionLostError, Manager } from '../runtime/manager.js';
import { parseBindAddress } from '../runtime/server.js';
import { setupSignalHandler } from '../runtime/signals.js';
import { embeddedKubeconfigPath, ensureReachable, kubeconfigFileFrom, resolveKubeConfig as resolveCliKubeConfig, sameFile } from './kubeconfig.js';

export interface RunOptions {
  kubeconfig?: string;
  namespace?: string;
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId: string;
  concurrency: number;
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  dataDir: string;
  apiserverPort: number;
  logLevel: LevelWithSilent;
  /** pretty (a terminal), json, or auto: pretty when stdout is a TTY, else JSON. */
  logFormat?: LogFormat;
  gracefulShutdownTimeout: number;
  /** Extra infrastructure providers: npm package names or file paths (`--provider-module`, repeatable). */
  providerModules?: string[];
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const LOG_FORMAT_HELP = 'log format: pretty (readable, for a terminal), json (one object a line), or auto (pretty on a TTY, else json)';
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function positiveInt(flag: string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < 1 || n > max) throw new InvalidArgumentError(`--${flag} must be an integer between 1 and ${max}, got "${v}"`);
    return n;
  };
}

function bindAddress(flag: string) {
  return (v: string): string => {
    try {
      parseBindAddress(v, `--${flag}`);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    return v;
  };
}

/**
 * The cluster `clusterd run` reconciles in. A kubeconfig that is this daemon's own (<data-dir>/kubeconfig, as
 * the banner tells the user to export) means embedded mode: restarting `make run` in the same shell must work.
 * Any other kubeconfig must answer within a few seconds, else the run fails with what to do (it used to retry
 * ECONNREFUSED for ever).
 */
export async function chooseCluster(opts: Pick<RunOptions, 'kubeconfig' | 'dataDir'>, env: NodeJS.ProcessEnv = process.env): Promise<{ kind: 'embedded'; ownKubeconfig?: string } | { kind: 'external'; kc: KubeConfig; source: string }> {
  const own = embeddedKubeconfigPath(opts.dataDir);
  const named = kubeconfigFileFrom(opts.kubeconfig, env);
  if (named && sameFile(named.file, own)) return { kind: 'embedded', ownKubeconfig: named.file };
  const external = resolveCliKubeConfig(opts.kubeconfig, env);
  if (!external) return { kind: 'embedded' };
  await ensureReachable(external, 5_000, named?.via === '$KUBECONFIG'
    ? `Start that cluster, or run \`unset KUBECONFIG\` so that clusterd starts its own embedded API server (its kubeconfig is ${own} for --data-dir ${opts.dataDir}).`
    : undefined);
  return { kind: 'external', kc: external.kc, source: external.source };
}

function writePrivateFile(path: string, content: string): void {
  // Write then rename: a reader never sees half a kubeconfig.
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

async function startEmbedded(opts: RunOptions, log: Logger): Promise<{ server: RunningApiServer; kc: KubeConfig; kubeconfigPath: string }> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const server = await startApiServer({ port: opts.apiserverPort, bindAddress: '127.0.0.1', dataDir: join(dataDir, 'apiserver'), logger: log.child({ component: 'apiserver' }) });
  try {
    const kc = server.kubeConfig();
    const client = new Client(kc, { userAgent: 'clusterd', fieldManager: 'clusterd' });
    try {
      const crds = loadManifests(join(repoRoot(), 'crds')).filter((o) => o.kind === 'CustomResourceDefinition');
      await createOrUpdate(client, crds);
      await waitForCRDsEstablished(client, crds.map((c) => c.metadata.name!));
      log.info({ crds: crds.map((c) => c.metadata.name) }, 'CustomResourceDefinitions installed');
    } finally {
      client.close();
    }
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    writePrivateFile(kubeconfigPath, server.adminKubeconfig());
    return { server, kc, kubeconfigPath };
  } catch (err) {
    await server.close();
    throw err;
  }
}

function nextSteps(kubeconfigPath: string, url: string): string {
  return [
    '',
    `Your clusterd control plane is running at ${url}.`,
    '',
    'To use it, in another terminal run:',
    '',
    `  export KUBECONFIG=${kubeconfigPath}`,
    '  kubectl apply -f examples/quickstart.yaml',
    '  kubectl get cl,md,ma',
    '  node dist/cmd/clusterd.js describe cluster demo --watch',
    '',
  ].join('\n');
}

/** Runs the daemon until SIGTERM/SIGINT. Resolves with the process exit code. */
export async function runDaemon(opts: RunOptions, signal: AbortSignal): Promise<number> {
  const log = newLogger({ level: opts.logLevel, format: opts.logFormat });
  const chosen = await chooseCluster(opts);
  const external = chosen.kind === 'external' ? chosen : undefined;
  if (chosen.kind === 'embedded' && chosen.ownKubeconfig) {
    log.info({ kubeconfig: chosen.ownKubeconfig }, 'the kubeconfig given is this daemon\'s own: starting the embedded API server again');
  }
  let server: RunningApiServer | undefined;
  let banner: string | undefined;
  let kc: KubeConfig;
  const embedded = !external;
  if (external) {
    kc = external.kc;
    log.info({ kubeconfig: external.source, server: kc.getCurrentCluster()?.server }, 'using an existing cluster; installing nothing');
  } else {
    const e = await startEmbedded(opts, log);
    server = e.server;
    kc = e.kc;
    banner = nextSteps(e.kubeconfigPath, e.server.url);
  }
  // In embedded mode nothing outside this machine should reach the metrics by default.
  const metricsBindAddress = embedded && opts.metricsBindAddress === ':8080' ? '127.0.0.1:8080' : opts.metricsBindAddress;
  const healthProbeBindAddress = embedded && opts.healthProbeBindAddress === ':8081' ? '127.0.0.1:8081' : opts.healthProbeBindAddress;
  let providers: ProviderRegistry | undefined;
  let saNamespace: string | undefined;
  if (!embedded && existsSync(join(SA_DIR, 'namespace'))) saNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  try {
    const mgr = new Manager({
      kubeConfig: kc,
      namespace: opts.namespace,
      logger: log,
      concurrency: opts.concurrency,
      metricsBindAddress,
      healthProbeBindAddress,
      leaderElection: opts.leaderElect,
      leaderElectionID: opts.leaderElectionId,
      leaderElectionNamespace: opts.leaderElectionNamespace ?? opts.namespace ?? saNamespace ?? 'default',
      gracefulShutdownTimeoutMs: opts.gracefulShutdownTimeout * 1000,
    });
    providers = await providerRegistry(opts, log);
    registerControllers(mgr, { logger: log, providers });
    const started = mgr.start(signal);
    // Once the servers are up (ports may be ephemeral), say where they are and what to run next.
    const serversUp = (): boolean =>
      (mgr.probeAddress !== undefined || healthProbeBindAddress === '0') && (mgr.metricsAddress !== undefined || metricsBindAddress === '0');
    void waitFor(serversUp, signal).then(() => {
      if (signal.aborted) return;
      log.info({ probes: fmt(mgr.probeAddress), metrics: fmt(mgr.metricsAddress), leaderElection: opts.leaderElect }, 'manager started');
      if (banner) process.stdout.write(banner + '\n');
    });
    await started;
    return 0;
  } catch (err) {
    if (err instanceof LeaderElectionLostError) {
      log.error('leader election lost; exiting so that a fresh process can rejoin as a follower');
      return 1;
    }
    throw err;
  } finally {
    // The in-memory provider's simulated machines live in this process; they re-attach on the next start.
    if (providers) await providers.close();
    if (server) await server.close();
  }
}

/** The built-in providers plus any --provider-module, each with its own state folder under the data dir. */
async function providerRegistry(opts: RunOptions, log: Logger): Promise<ProviderRegistry> {
  const registry = defaultRegistry((name) => ({ dataDir: join(resolve(opts.dataDir), name), logger: log.child({ provider: name }) }));
  for (const m of opts.providerModules ?? []) {
    const loaded = await loadProviderModule(m);
    registry.register(loaded.name, loaded.factory);
    log.info({ provider: loaded.name, module: m }, 'loaded infrastructure provider');
  }
  return registry;
}

const fmt = (a: { host: string; port: number } | undefined): string | null => (a ? `${a.host}:${a.port}` : null);

async function waitFor(cond: () => boolean, signal: AbortSignal): Promise<void> {
  while (!cond() && !signal.aborted) await new Promise((r) => setTimeout(r, 20));
}

export function runCommand(): Command {
  return new Command('run')
    .description('run the clusterd controllers (embedded API server when no kubeconfig is given)')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster to reconcile in (default: $KUBECONFIG, in-cluster, else the embedded API server)')
    .option('--namespace <ns>', 'watch and reconcile only this namespace (default: all)')
    .option('--leader-elect', 'elect a leader with a coordination.k8s.io Lease before reconciling', false)
    .option('--leader-election-namespace <ns>', 'namespace of the leader Lease (default: --namespace, the pod\'s, or "default")')
    .option('--leader-election-id <name>', 'name of the leader Lease', 'clusterd-leader')
    .option('--concurrency <n>', 'concurrent reconciles per controller', positiveInt('concurrency', 1000), 1)
    .option('--metrics-bind-address <addr>', 'address of /metrics; "0" disables (embedded mode: 127.0.0.1:8080)', bindAddress('metrics-bind-address'), ':8080')
    .option('--health-probe-bind-address <addr>', 'address of /healthz and /readyz; "0" disables (embedded mode: 127.0.0.1:8081)', bindAddress('health-probe-bind-address'), ':8081')
    .option('--data-dir <dir>', 'state directory (embedded API server, kubeconfig)', '.clusterd')
    .option('--apiserver-port <port>', 'port of the embedded API server on 127.0.0.1', positiveInt('apiserver-port', 65535), 6443)
    .option('--provider-module <nameOrPath>', 'load an infrastructure provider from an npm package or a file (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--graceful-shutdown-timeout <seconds>', 'how long shutdown waits for in-flight reconciles', positiveInt('graceful-shutdown-timeout', 3600), 30)
    .addOption(new Option('--log-level <level>', 'log level').choices(LEVELS).default(process.env.CLUSTERD_LOG_LEVEL && LEVELS.includes(process.env.CLUSTERD_LOG_LEVEL) ? process.env.CLUSTERD_LOG_LEVEL : 'info'))
    .addOption(new Option('--log-format <format>', LOG_FORMAT_HELP).choices(LOG_FORMATS).default('auto'))
    .addHelpText('after', `
Examples:
  # the embedded default: own API server on 127.0.0.1:6443, in-memory provider, state in .clusterd/
  clusterd run

  # a second copy beside the first, with its own port and state
  clusterd run --apiserver-port 6444 --data-dir /tmp/clusterd-b --metrics-bind-address 0 --health-probe-bind-address 0

  # reconcile in an existing cluster (installs nothing; apply deploy/ first)
  clusterd run --kubeconfig ~/.kube/config --leader-elect --log-format json`)
    .action(async (opts: RunOptions) => {
      const code = await runDaemon(opts, setupSignalHandler());
      process.exit(code);
    });
}
