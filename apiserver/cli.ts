import { Command, InvalidArgumentError } from 'commander';
import { renameSync, writeFileSync } from 'node:fs';
import type { LevelWithSilent } from 'pino';
import { newLogger } from '../lib/logging.js';
import { startApiServer } from './index.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

/** `clusterd apiserver`: serve the Kubernetes-compatible API over HTTPS until SIGTERM or SIGINT. */
export function apiserverCommand(): Command {
  return new Command('apiserver')
    .description('serve a Kubernetes-compatible API over HTTPS (kubectl and client libraries work against it)')
    .option('--port <port>', 'HTTPS port (0 = any free port)', parsePort, 6443)
    .option('--bind-address <addr>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'durable store and PKI; without it, state is kept in memory')
    .option('--kubeconfig-out <file>', 'write an admin kubeconfig (client certificate, O=system:masters) here')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent', 'info')
    .action(async (o: { port: number; bindAddress: string; dataDir?: string; kubeconfigOut?: string; logLevel: string }) => {
      const logger = newLogger({ name: 'apiserver', level: o.logLevel as LevelWithSilent });
      const server = await startApiServer({ port: o.port, bindAddress: o.bindAddress, dataDir: o.dataDir, logger });
      if (o.kubeconfigOut) {
        // Written whole and renamed into place: whoever waits for the file never reads half of it.
        const tmp = `${o.kubeconfigOut}.tmp`;
        writeFileSync(tmp, server.adminKubeconfig(), { mode: 0o600 });
        renameSync(tmp, o.kubeconfigOut);
        logger.info({ path: o.kubeconfigOut }, 'wrote admin kubeconfig');
      }
      await new Promise<void>((resolve) => {
        const stop = (sig: string): void => {
          logger.info({ signal: sig }, 'shutting down');
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      await server.close();
    });
}
