/** controller-runtime's SetupSignalHandler: an AbortSignal aborted on the first SIGTERM or SIGINT; a second one exits. */
export function setupSignalHandler(onSecond: () => void = () => process.exit(1)): AbortSignal {
  const ctrl = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    count++;
    if (count === 1) ctrl.abort(new Error(`received ${sig}`));
    else onSecond();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return ctrl.signal;
}
