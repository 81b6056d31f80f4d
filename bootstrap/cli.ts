import { Command } from 'commander';
import { runAgent } from './agent.js';

/** `clusterd agent ...`: the arguments go verbatim to runAgent, whose own command tree (generated from the phase lists) parses them. */
export function agentCommand(): Command {
  return new Command('agent')
    .description('bootstrap this machine: kubeadm init and join phases (clusterd agent help)')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await runAgent(args, { stdout: process.stdout, stderr: process.stderr });
    });
}
