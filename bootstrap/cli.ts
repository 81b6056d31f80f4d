import { Command } from 'commander';

/** `clusterd agent`: placeholder until the bootstrap phases land. */
export function agentCommand(): Command {
  return new Command('agent')
    .description('bootstrap this machine: kubeadm init and join phases')
    .action(() => {
      throw new Error('clusterd agent is not implemented yet');
    });
}
