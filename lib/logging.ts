import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { formatLogLine } from './log-format.js';

export type { Logger };

/** Secret-bearing field names are redacted wherever they appear in a structured log line. */
const REDACT = [
  'privateKey', '*.privateKey', 'key', '*.key', 'keyPem', '*.keyPem', 'token', '*.token', 'tokenSecret', '*.tokenSecret',
  'certificateKey', '*.certificateKey', 'password', '*.password', 'data', '*.data', 'stringData', '*.stringData',
];

/** pretty: readable lines for a person; json: one object a line for machines; auto: pretty on a TTY, else json. */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level?: LevelWithSilent;
  name?: string;
  /** Default: $CLUSTERD_LOG_FORMAT, else auto. */
  format?: LogFormat;
  /** Where lines go (default stdout); its isTTY decides auto, and colour in pretty. */
  out?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The format a logger writes in: auto resolves by whether the output is a terminal. */
export function resolveLogFormat(format: LogFormat | undefined, isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): 'pretty' | 'json' {
  const fromEnv = (LOG_FORMATS as readonly string[]).includes(env.CLUSTERD_LOG_FORMAT ?? '') ? env.CLUSTERD_LOG_FORMAT as LogFormat : undefined;
  const f = format && format !== 'auto' ? format : fromEnv ?? 'auto';
  if (f === 'pretty' || f === 'json') return f;
  return isTTY ? 'pretty' : 'json';
}

/** A pino destination that turns each JSON line into a readable one before writing it. */
function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): DestinationStream {
  const colour = out.isTTY === true && !process.env.NO_COLOR;
  return { write: (line: string) => void out.write(formatLogLine(line, { colour })) };
}

/**
 * The process-wide structured logger (pino). Components take children with their own fields. JSON lines unless
 * the output is a terminal (or --log-format pretty), where they are formatted for reading.
 */
export function newLogger(opts: LoggerOptions = {}): Logger {
  const out = opts.out ?? process.stdout;
  const format = resolveLogFormat(opts.format, (out as { isTTY?: boolean }).isTTY);
  const options = {
    // "name" and "namespace" are the reconciled object's, as in controller-runtime; the logger's own is "logger".
    base: { logger: opts.name ?? 'clusterd' },
    level: opts.level ?? (process.env.CLUSTERD_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info',
    redact: { paths: REDACT, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (format === 'pretty') return pino(options, prettyDestination(out));
  return opts.out ? pino(options, { write: (line: string) => void out.write(line) }) : pino(options);
}

/** A logger that drops everything, for libraries used in tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
