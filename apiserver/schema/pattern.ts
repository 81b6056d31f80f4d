/**
 * CRD patterns are written for Go's RE2 (kube-apiserver compiles them with regexp.Compile). Most are also valid
 * ECMAScript; this translates the RE2-only spellings and caches the compiled result per pattern string.
 */
const cache = new Map<string, RegExp | Error>();

function translate(pattern: string): { source: string; flags: string } {
  let source = pattern;
  let flags = '';
  // Leading inline flags, e.g. (?i) or (?is).
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    source = source.slice(lead[0].length);
    for (const f of lead[1]) if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$')
    .replace(/\[:alpha:\]/g, 'A-Za-z')
    .replace(/\[:digit:\]/g, '0-9')
    .replace(/\[:alnum:\]/g, 'A-Za-z0-9')
    .replace(/\[:upper:\]/g, 'A-Z')
    .replace(/\[:lower:\]/g, 'a-z')
    .replace(/\[:space:\]/g, '\\s')
    .replace(/\[:xdigit:\]/g, '0-9A-Fa-f');
  return { source, flags };
}

/** The compiled pattern, or an Error when neither RE2 translation nor plain ECMAScript accepts it. */
export function compilePattern(pattern: string): RegExp | Error {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const { source, flags } = translate(pattern);
  let compiled: RegExp | Error;
  try {
    compiled = new RegExp(source, flags + 'u');
  } catch {
    try {
      compiled = new RegExp(source, flags);
    } catch (err) {
      compiled = err instanceof Error ? err : new Error(String(err));
    }
  }
  cache.set(pattern, compiled);
  return compiled;
}
