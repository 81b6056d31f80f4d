/**
 * The two parts of clusterd a simulated machine runs for real: the bootstrap agent (what cloud-init's
 * runcmd invokes) and the embedded API server (what the kube-apiserver static Pod becomes). Kept in one
 * place so the rest of the provider depends on these signatures only.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { runAgent as bootstrapRunAgent } from '../../bootstrap/index.js';
import { startApiServer as apiStart } from '../../apiserver/index.js';
import { openStorage as apiOpenStorage, type Storage as ApiStorage } from '../../apiserver/storage/index.js';
import type { AgentRunner } from './cloudinit.js';

export type StartApiServer = typeof apiStart;
export type ApiServerHandle = Awaited<ReturnType<StartApiServer>>;
export type Storage = ApiStorage;

export const startApiServer: StartApiServer = apiStart;
export const openStorage = apiOpenStorage;

/**
 * `clusterd agent <args>` in-process; args start with "agent" and carry `--root`. On the machine, the
 * --config file cloud-init wrote is a host path, so it is read under the machine's root too.
 */
export const runAgent: AgentRunner = async (args, io, host) => {
  const argv = args[0] === 'agent' ? args.slice(1) : args;
  const i = argv.indexOf('--root');
  const root = i >= 0 ? argv[i + 1] : undefined;
  const readFile = (p: string): string => readFileSync(root && isAbsolute(p) ? join(root, p) : p, 'utf8');
  return bootstrapRunAgent(argv, io, { readFile, ...(host ? { host } : {}) });
};
