import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Secret-bearing field names are redacted wherever they appear in a structured log line. */
const REDACT = [
  'privateKey', '*.privateKey', 'key', '*.key', 'keyPem', '*.keyPem', 'token', '*.token', 'tokenSecret', '*.tokenSecret',
  'certificateKey', '*.certificateKey', 'password', '*.password', 'data', '*.data', 'stringData', '*.stringData',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  name?: string;
}

/** The process-wide structured JSON logger (pino). Components take children with their own fields. */
export function newLogger(opts: LoggerOptions = {}): Logger {
  return pino({
    // "name" and "namespace" are the reconciled object's, as in controller-runtime; the logger's own is "logger".
    base: { logger: opts.name ?? 'clusterd' },
    level: opts.level ?? (process.env.CLUSTERD_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info',
    redact: { paths: REDACT, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that drops everything, for libraries used in tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
