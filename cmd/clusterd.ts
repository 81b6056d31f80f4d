#!/usr/bin/env node
/**
 * The single clusterd entry point. Each part of the system contributes its own subcommand;
 * this file only assembles them.
 */
import { Command } from 'commander';
import { apiserverCommand } from '../apiserver/cli.js';
import { agentCommand } from '../bootstrap/cli.js';
import { getCommand } from './get.js';
import { rolloutCommand } from './rollout.js';
import { runCommand } from './run.js';

export function buildCli(): Command {
  const program = new Command('clusterd')
    .description('Declarative cluster-lifecycle daemon: Cluster, Machine, MachineSet and MachineDeployment')
    .version('0.1.0')
    .showHelpAfterError();
  program.addCommand(runCommand());
  program.addCommand(rolloutCommand());
  program.addCommand(apiserverCommand());
  program.addCommand(agentCommand());
  program.addCommand(getCommand());
  return program;
}

buildCli().parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
