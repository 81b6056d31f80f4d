/**
 * The JSONPath subset additionalPrinterColumns use (k8s.io/client-go/util/jsonpath): `.a.b`, `['a']`, `[0]`,
 * `[-1]`, `[*]`, `[0:2]`, `..name` and filters `[?(@.type=="Ready")]`. Compiled paths are cached.
 */
import { display, getOwn, hasOwn } from '../../lib/safe-json.js';
type Step =
  | { t: 'field'; name: string }
  | { t: 'index'; i: number }
  | { t: 'slice'; start?: number; end?: number }
  | { t: 'all' }
  | { t: 'recursive'; name: string }
  | { t: 'filter'; path: Step[]; op?: string; value?: unknown };

const cache = new Map<string, Step[] | Error>();

function parseLiteral(s: string): unknown {
  const v = s.trim();
  if (/^(['"]).*\1$/.test(v)) return v.slice(1, -1);
  if (v === 'true' || v === 'false') return v === 'true';
  if (v !== '' && !Number.isNaN(Number(v))) return Number(v);
  return v;
}

function parse(expr: string): Step[] {
  let src = expr.trim();
  if (src.startsWith('{') && src.endsWith('}')) src = src.slice(1, -1).trim();
  if (src.startsWith('$')) src = src.slice(1);
  const steps: Step[] = [];
  let i = 0;
  const ident = (): string => {
    const m = /^[^.[\]]+/.exec(src.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '.') {
      if (src[i + 1] === '.') {
        i += 2;
        steps.push({ t: 'recursive', name: ident() });
      } else {
        i++;
        const name = ident();
        if (name === '*') steps.push({ t: 'all' });
        else if (name) steps.push({ t: 'field', name });
      }
    } else if (c === '[') {
      const end = findClose(src, i);
      const inner = src.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ t: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ t: 'index', i: Number(inner) });
      else if (/^-?\d*:-?\d*$/.test(inner)) {
        const [a, b] = inner.split(':');
        steps.push({ t: 'slice', start: a ? Number(a) : undefined, end: b ? Number(b) : undefined });
      } else if (/^(['"]).*\1$/.test(inner)) steps.push({ t: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) {
        const body = inner.slice(2, -1).trim();
        const m = /^@((?:\.[^.=!<>\s]+|\[[^\]]*\])*)\s*(==|!=|<=|>=|<|>)?\s*(.*)$/.exec(body);
        if (!m) throw new Error(`unrecognized filter ${inner}`);
        steps.push({ t: 'filter', path: parse(m[1]), op: m[2], value: m[2] ? parseLiteral(m[3]) : undefined });
      } else throw new Error(`unrecognized identifier ${inner}`);
    } else {
      const name = ident();
      if (!name) throw new Error(`unexpected ${c} in ${expr}`);
      steps.push({ t: 'field', name });
    }
  }
  return steps;
}

function findClose(src: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let j = open; j < src.length; j++) {
    const c = src[j];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return j;
  }
  throw new Error(`unclosed [ in ${src}`);
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==': return a === b || (a !== undefined && display(a) === display(b) && typeof b !== 'string');
    case '!=': return a !== b;
    case '<': return Number(a) < Number(b);
    case '>': return Number(a) > Number(b);
    case '<=': return Number(a) <= Number(b);
    case '>=': return Number(a) >= Number(b);
    default: return false;
  }
}

function recurse(v: unknown, name: string, out: unknown[]): void {
  if (v === null || typeof v !== 'object') return;
  if (!Array.isArray(v) && hasOwn(v, name)) out.push(getOwn(v, name));
  for (const x of Array.isArray(v) ? v : Object.values(v)) recurse(x, name, out);
}

function apply(steps: Step[], roots: unknown[]): unknown[] {
  let cur = roots;
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (s.t) {
        case 'field':
          if (v !== null && typeof v === 'object' && !Array.isArray(v) && hasOwn(v, s.name)) next.push(getOwn(v, s.name));
          break;
        case 'index':
          if (Array.isArray(v)) {
            const i = s.i < 0 ? v.length + s.i : s.i;
            if (i >= 0 && i < v.length) next.push(v[i]);
          }
          break;
        case 'slice':
          if (Array.isArray(v)) next.push(...v.slice(s.start, s.end));
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          else if (v !== null && typeof v === 'object') next.push(...Object.values(v));
          break;
        case 'recursive':
          recurse(v, s.name, next);
          break;
        case 'filter':
          for (const item of Array.isArray(v) ? v : [v]) {
            const found = apply(s.path, [item]);
            if (s.op === undefined ? found.length > 0 : found.some((f) => compare(f, s.op!, s.value))) next.push(item);
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}

/** All results of the path on obj; an Error when the expression does not parse. */
export function evaluateJsonPath(expr: string, obj: unknown): unknown[] | Error {
  let steps = cache.get(expr);
  if (!steps) {
    try {
      steps = parse(expr);
    } catch (e) {
      steps = e instanceof Error ? e : new Error(String(e));
    }
    cache.set(expr, steps);
  }
  return steps instanceof Error ? steps : apply(steps, [obj]);
}
