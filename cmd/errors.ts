/**
 * The command line's errors and exit codes. Every failure a user can cause or meet ends with one line on
 * stderr that names the object and says what to do, and one of these codes (documented in docs/cli.md):
 */
export const ExitCode = {
  /** Done. */
  OK: 0,
  /** Anything else: the API server refused a request, a file could not be read, an unexpected failure. */
  Error: 1,
  /** The command line itself is wrong: unknown command or flag, bad argument value. */
  Usage: 2,
  /** The named object does not exist. */
  NotFound: 3,
  /** No management cluster to talk to: no kubeconfig, or its API server does not answer. */
  Unreachable: 4,
  /** `rollout status`: the rollout exceeded its progress deadline (ProgressDeadlineExceeded). */
  RolloutFailed: 5,
  /** `--timeout` elapsed before the awaited state was reached. */
  Timeout: 6,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the person at the terminal: its message is printed as is, its code is the exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCodeValue = ExitCode.Error) {
    super(message);
    this.name = 'CliError';
  }
}

/** `kind "name" not found in namespace "ns"`, with what to try next. */
export function notFound(kind: string, name: string, namespace: string, hint?: string): CliError {
  const list = `kubectl get ${kind.toLowerCase()}s -n ${namespace}`;
  return new CliError(`${kind.toLowerCase()} "${name}" not found in namespace "${namespace}"${hint ? `: ${hint}` : ''} (list them with \`${list}\`, or pass -n NAMESPACE)`, ExitCode.NotFound);
}
