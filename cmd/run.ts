import { Command } from 'commander';

/** `clusterd run`: the daemon. Placeholder until the controller runtime lands. */
export function runCommand(): Command {
  return new Command('run')
    .description('run the clusterd controllers (embedded API server when no kubeconfig is given)')
    .action(() => {
      throw new Error('clusterd run is not implemented yet');
    });
}
