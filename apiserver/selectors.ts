/** Label and field selectors in the syntax of `?labelSelector=` and `?fieldSelector=`. */
import { badRequest } from './status.js';

type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (labels: Record<string, string> | undefined) => boolean;

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function checkKey(key: string, sel: string): string {
  if (!LABEL_KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${sel}"`);
  return key;
}

function checkValue(v: string, sel: string): string {
  if (v.length > 63 || !LABEL_VALUE.test(v)) throw badRequest(`unable to parse requirement: invalid label value: "${v}" in selector "${sel}"`);
  return v;
}

export function parseLabelSelector(sel: string | undefined): Matcher | undefined {
  if (!sel || !sel.trim()) return undefined;
  const reqs: LabelRequirement[] = [];
  for (const raw of splitTop(sel)) {
    const part = raw.trim();
    if (!part) throw badRequest(`unable to parse requirement: found '', expected: identifier in selector "${sel}"`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^!\s*(\S+)$/))) reqs.push({ op: 'notexists', key: checkKey(m[1]!, sel) });
    else if ((m = part.match(/^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => checkValue(v.trim(), sel));
      reqs.push({ op: m[2] as 'in' | 'notin', key: checkKey(m[1]!, sel), values });
    } else if ((m = part.match(/^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/))) {
      reqs.push({ op: m[2] === '!=' ? 'neq' : 'eq', key: checkKey(m[1]!, sel), value: checkValue(m[3]!.trim(), sel) });
    } else if ((m = part.match(/^(\S+)$/))) reqs.push({ op: 'exists', key: checkKey(m[1]!, sel) });
    else throw badRequest(`unable to parse requirement: cannot parse "${part}" in selector "${sel}"`);
  }
  return (labels) => reqs.every((r) => {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels![r.key] : undefined;
    switch (r.op) {
      case 'eq': return has && v === r.value;
      case 'neq': return !has || v !== r.value;
      case 'in': return has && r.values.includes(v!);
      case 'notin': return !has || !r.values.includes(v!);
      case 'exists': return has;
      case 'notexists': return !has;
    }
  });
}

/** The selector's labels when it is a plain `a=b,c=d` (used for the Scale subresource's status.selector). */
export function formatLabelSelector(sel: unknown): string {
  if (typeof sel === 'string') return sel;
  if (!sel || typeof sel !== 'object') return '';
  const s = sel as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  const parts = Object.entries(s.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const vals = `(${(e.values ?? []).join(',')})`;
    if (e.operator === 'In') parts.push(`${e.key} in ${vals}`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin ${vals}`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export type ObjectMatcher = (obj: Record<string, unknown>) => boolean;

function unescapeField(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/** Splits on an unescaped separator. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i]! + s[i + 1]!;
      i++;
    } else if (s[i] === sep) {
      out.push(cur);
      cur = '';
    } else cur += s[i]!;
  }
  out.push(cur);
  return out;
}

function fieldValue(obj: Record<string, unknown>, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (!cur || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/**
 * Field selectors: any dotted path of the object can be selected with =, == and !=. kube-apiserver allows a
 * per-type subset (metadata.name, metadata.namespace, spec.nodeName, involvedObject.*, type, ...); allowing
 * every path is a superset that costs nothing.
 */
export function parseFieldSelector(sel: string | undefined): ObjectMatcher | undefined {
  if (!sel || !sel.trim()) return undefined;
  const reqs: { path: string; neg: boolean; value: string }[] = [];
  for (const part of splitUnescaped(sel, ',')) {
    const m = part.trim().match(/^([A-Za-z0-9_.\-/]+)\s*(==|=|!=)(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${sel}'; can't understand '${part}'`);
    reqs.push({ path: m[1]!, neg: m[2] === '!=', value: unescapeField(m[3]!) });
  }
  return (obj) => reqs.every((r) => (fieldValue(obj, r.path) === r.value) !== r.neg);
}

/** `metadata.name=x` pins a watch or list to one object; the REST layer uses it to avoid a scan. */
export function singleNameFromFieldSelector(sel: string | undefined): string | undefined {
  if (!sel) return undefined;
  const parts = splitUnescaped(sel, ',');
  for (const p of parts) {
    const m = p.trim().match(/^metadata\.name\s*==?(.*)$/);
    if (m) return unescapeField(m[1]!);
  }
  return undefined;
}
