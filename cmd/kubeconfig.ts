/**
 * Which management cluster a command talks to: --kubeconfig, $KUBECONFIG, the pod's service account, else the
 * embedded server's <data-dir>/kubeconfig that `clusterd run` writes. And a fast check that its API server
 * answers, so a stale kubeconfig fails at once with what to do instead of retrying for ever.
 */
import { existsSync, realpathSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CliError, ExitCode } from './errors.js';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ResolvedKubeConfig {
  kc: KubeConfig;
  /** The file, or "in-cluster service account". */
  source: string;
  /** Where the choice came from, for messages: "--kubeconfig", "$KUBECONFIG", "in-cluster", "data dir". */
  via: string;
}

/** The kubeconfig file a flag or $KUBECONFIG names (kubectl uses the first of a colon-separated list). */
export function kubeconfigFileFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { file: string; via: string } | undefined {
  if (flag) return { file: flag, via: '--kubeconfig' };
  const first = env.KUBECONFIG?.split(':').find((p) => p !== '');
  return first ? { file: first, via: '$KUBECONFIG' } : undefined;
}

export function loadKubeconfigFile(file: string, via: string): KubeConfig {
  if (!existsSync(file)) throw new CliError(`${via}: ${file} does not exist`, ExitCode.Unreachable);
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new CliError(`${via}: ${file} is not a readable kubeconfig: ${(err as Error).message}`, ExitCode.Unreachable);
  }
  if (!kc.getCurrentCluster()) throw new CliError(`${via}: ${file} has no current context with a cluster`, ExitCode.Unreachable);
  return kc;
}

/** An explicit kubeconfig, KUBECONFIG, the pod's service account, or undefined (none given). */
export function resolveKubeConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedKubeConfig | undefined {
  const named = kubeconfigFileFrom(flag, env);
  if (named) return { kc: loadKubeconfigFile(named.file, named.via), source: named.file, via: named.via };
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(SA_DIR, 'token'))) {
    const kc = new KubeConfig();
    kc.loadFromCluster();
    return { kc, source: 'in-cluster service account', via: 'in-cluster' };
  }
  return undefined;
}

/** Whether two paths name the same file (symlinks and relative paths resolved); false if either is missing. */
export function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/** The embedded server's kubeconfig under a data dir. */
export const embeddedKubeconfigPath = (dataDir: string): string => join(resolve(dataDir), 'kubeconfig');

/** For the client commands: the management cluster, falling back to the embedded server's kubeconfig. */
export function managementKubeConfig(opts: { kubeconfig?: string; dataDir?: string }, env: NodeJS.ProcessEnv = process.env): ResolvedKubeConfig {
  const found = resolveKubeConfig(opts.kubeconfig, env);
  if (found) return found;
  const file = embeddedKubeconfigPath(opts.dataDir ?? '.clusterd');
  if (!existsSync(file)) {
    throw new CliError(`no management cluster: pass --kubeconfig FILE, set KUBECONFIG, or start \`make run\` (clusterd run writes ${file})`, ExitCode.Unreachable);
  }
  return { kc: loadKubeconfigFile(file, 'data dir'), source: file, via: 'data dir' };
}

/** host:port of a kubeconfig's current server URL. */
export function serverAddress(kc: KubeConfig): { url: string; host: string; port: number } {
  const url = kc.getCurrentCluster()?.server ?? '';
  const u = new URL(url);
  const port = u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
  return { url, host: u.hostname.replace(/^\[|\]$/g, ''), port };
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((ok, fail) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      fail(Object.assign(new Error(`connect ETIMEDOUT ${host}:${port} (no answer in ${timeoutMs} ms)`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.end();
      ok();
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
  });
}

/**
 * Resolves once the kubeconfig's API server accepts a TCP connection; tries for `withinMs` (a server that is
 * starting up gets a moment), then fails with a message that names the kubeconfig and says what to do.
 */
export async function ensureReachable(r: ResolvedKubeConfig, withinMs = 5_000, hint?: string): Promise<void> {
  const { url, host, port } = serverAddress(r.kc);
  const deadline = Date.now() + withinMs;
  let last: Error | undefined;
  for (;;) {
    try {
      await tcpConnect(host, port, Math.max(500, Math.min(2_000, deadline - Date.now())));
      return;
    } catch (err) {
      last = err as Error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((res) => setTimeout(res, 250));
  }
  const from = r.via === '$KUBECONFIG' ? `KUBECONFIG=${r.source}` : r.via === 'in-cluster' ? 'the in-cluster service account' : `${r.via} ${r.source}`;
  throw new CliError(`the API server ${url} (from ${from}) does not answer: ${last?.message ?? 'unreachable'}. ${hint ?? 'Start that cluster, or point --kubeconfig or KUBECONFIG at one that is running.'}`, ExitCode.Unreachable);
}
