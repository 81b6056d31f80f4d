#!/usr/bin/env node
/** The single clusterd entry point (the command tree is in cli.ts). */
import { main } from './cli.js';

main(process.argv).then((code) => {
  // Long-running commands (run, describe --watch) exit themselves; the rest end here with their code.
  if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
