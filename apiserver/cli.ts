import { Command } from 'commander';

/** `clusterd apiserver`: placeholder until the embedded API server lands. */
export function apiserverCommand(): Command {
  return new Command('apiserver')
    .description('serve a Kubernetes-compatible API over HTTPS')
    .action(() => {
      throw new Error('clusterd apiserver is not implemented yet');
    });
}
