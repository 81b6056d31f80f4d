/**
 * The two parts of clusterd a simulated machine runs for real: the bootstrap agent (what cloud-init's
 * runcmd invokes) and the embedded API server (what the kube-apiserver static Pod becomes). Kept in one
 * place so the rest of the provider depends on these signatures only.
 */
import { startApiServer as apiStart } from '../../apiserver/index.js';
import { openStorage as apiOpenStorage, type Storage as ApiStorage } from '../../apiserver/storage/index.js';
import type { AgentRunner } from './cloudinit.js';

export type StartApiServer = typeof apiStart;
export type ApiServerHandle = Awaited<ReturnType<StartApiServer>>;
export type Storage = ApiStorage;

export const startApiServer: StartApiServer = apiStart;
export const openStorage = apiOpenStorage;

/** `clusterd agent <args>` in-process; args start with "agent". */
export const runAgent: AgentRunner = async (args, io) => {
  // Resolved at run time until bootstrap/index.ts exports runAgent.
  const specifier: string = '../../bootstrap/index.js';
  const mod = (await import(specifier)) as { runAgent?: (argv: string[], io: Parameters<AgentRunner>[1]) => Promise<number | void> };
  if (!mod.runAgent) throw new Error('bootstrap/index.js does not export runAgent');
  const code = await mod.runAgent(args[0] === 'agent' ? args.slice(1) : args, io);
  return typeof code === 'number' ? code : 0;
};
