/**
 * The clusterd command tree. Each part of the system contributes its own subcommand; this file only assembles
 * them, and makes every failure end the same way: one line on stderr and an exit code from cmd/errors.ts.
 */
import { Command, CommanderError } from 'commander';
import { apiserverCommand } from '../apiserver/cli.js';
import { agentCommand } from '../bootstrap/cli.js';
import { completionCommand } from './completion.js';
import { describeCommand } from './describe.js';
import { CliError, ExitCode } from './errors.js';
import { generateCommand } from './generate.js';
import { getCommand } from './get.js';
import { rolloutCommand } from './rollout.js';
import { runCommand } from './run.js';
import { clusterdVersion, versionCommand } from './version.js';

/** Usage errors exit with ExitCode.Usage, --help and --version with 0, on every level of the tree. */
function exitCodes(c: Command): void {
  c.exitOverride((err: CommanderError) => {
    const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
    throw new CliError('', ok ? ExitCode.OK : ExitCode.Usage);
  });
  c.showHelpAfterError('(add --help for usage and examples)');
  for (const s of c.commands) exitCodes(s);
}

export function buildCli(): Command {
  const program = new Command('clusterd')
    .description('Declarative cluster-lifecycle daemon: Cluster, Machine, MachineSet and MachineDeployment')
    .version(clusterdVersion(), '--version', 'print the version (more with `clusterd version`)')
    .addHelpText('after', `
Examples:
  make run                                        # the daemon with its embedded API server (clusterd run)
  kubectl apply -f examples/quickstart.yaml
  clusterd describe cluster demo --watch
  clusterd rollout status md demo-workers
  clusterd generate cluster demo --control-plane-machine-count 3 --worker-machine-count 3 | kubectl apply -f -

Exit codes: 0 done, 1 error, 2 bad usage, 3 not found, 4 management cluster unreachable,
            5 rollout failed (progress deadline exceeded), 6 timed out. See docs/cli.md.`);
  program.addCommand(runCommand());
  program.addCommand(describeCommand());
  program.addCommand(getCommand());
  program.addCommand(rolloutCommand());
  program.addCommand(generateCommand());
  program.addCommand(apiserverCommand());
  program.addCommand(agentCommand());
  program.addCommand(versionCommand());
  program.addCommand(completionCommand(() => program));
  exitCodes(program);
  return program;
}

/** Runs the command line; resolves with the exit code (the caller exits). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CliError) {
      if (err.message) process.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Error;
  }
}
