/**
 * Readable log lines for a terminal, from pino's JSON lines: time, level, who (controller or component),
 * the object (namespace/name), the message, then the remaining fields as key=value. An error's stack follows on
 * indented lines. Colour only when asked (the caller decides from the TTY).
 */

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOURS: Record<number, string> = { 10: '90', 20: '34', 30: '32', 40: '33', 50: '31', 60: '35;1' };
/** Fields that make up the line's fixed columns, or that a terminal reader never needs. */
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'namespace', 'name']);
/** Who speaks: the first of these a line carries (a provider's sub-components say component), else the logger. */
const WHO_KEYS = ['controller', 'component', 'provider'] as const;
/** Wide enough for "machinedeployment", so messages line up. */
const WHO_WIDTH = 17;

const paint = (on: boolean, code: string, s: string): string => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

interface SerializedError { type?: string; message?: string; stack?: string }

/** One pino JSON line as a terminal line (with its trailing newline). A line that is not JSON passes through. */
export function formatLogLine(line: string, opts: { colour: boolean }): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : line + '\n';
  }
  const c = opts.colour;
  const level = typeof rec.level === 'number' ? rec.level : 30;
  const time = typeof rec.time === 'string' ? rec.time.replace(/^.*T/, '').replace(/Z$/, '') : typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 23) : '';
  const whoKey = WHO_KEYS.find((k) => typeof rec[k] === 'string');
  const who = whoKey ? rec[whoKey] as string : typeof rec.logger === 'string' ? rec.logger : 'clusterd';
  const object = typeof rec.name === 'string' ? (typeof rec.namespace === 'string' && rec.namespace ? `${rec.namespace}/${rec.name}` : rec.name) : undefined;
  const parts = [
    paint(c, '2', time),
    paint(c, LEVEL_COLOURS[level] ?? '0', (LEVEL_NAMES[level] ?? String(level)).padEnd(5)),
  ];
  parts.push(paint(c, '36', who.padEnd(WHO_WIDTH)));
  if (object) parts.push(paint(c, '1', object));
  parts.push(typeof rec.msg === 'string' ? rec.msg : '');
  let stack = '';
  const extras: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (SHOWN_ELSEWHERE.has(k) || k === whoKey || v === undefined) continue;
    if (k === 'logger' && (v === 'clusterd' || v === who)) continue;
    if (k === 'namespace' && object) continue;
    if ((k === 'err' || k === 'error') && v && typeof v === 'object') {
      const e = v as SerializedError;
      extras.push(`${k}=${value(e.message ?? e.type ?? '')}`);
      if (e.stack && level >= 50) stack = '\n' + e.stack.split('\n').slice(1).map((l) => `    ${l.trim()}`).join('\n');
      continue;
    }
    extras.push(`${k}=${value(v)}`);
  }
  const head = parts.join('  ');
  return (extras.length > 0 ? `${head}  ${paint(c, '2', extras.join(' '))}` : head) + paint(c, '2', stack) + '\n';
}
