/** Label selectors: the metav1.LabelSelector shape, the string form (`a=b,c in (x,y),!d`), and matching. */

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Selector = LabelSelectorRequirement[];

/** Requirements of a metav1.LabelSelector. An empty selector matches everything. */
export function fromLabelSelector(ls: LabelSelector | undefined): Selector {
  const out: Selector = [];
  for (const [key, value] of Object.entries(ls?.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b))) out.push({ key, operator: 'In', values: [value] });
  for (const e of ls?.matchExpressions ?? []) {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) {
      throw new Error(`matchExpressions: unsupported operator "${String(e.operator)}" for key "${e.key}"`);
    }
    out.push({ key: e.key, operator: e.operator, values: e.values ?? [] });
  }
  return out;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** A selector string that does not parse; the message is kube-apiserver's, so the API server answers it as a 400. */
export class LabelSelectorError extends Error {}

function checkKey(key: string, text: string): string {
  if (!LABEL_KEY.test(key)) throw new LabelSelectorError(`unable to parse requirement: invalid label key "${key}" in selector "${text}"`);
  return key;
}

function checkValue(v: string, text: string): string {
  if (v.length > 63 || !LABEL_VALUE.test(v)) throw new LabelSelectorError(`unable to parse requirement: invalid label value: "${v}" in selector "${text}"`);
  return v;
}

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

/**
 * Parses the string form used by `-l` and `?labelSelector=`: `=`, `==`, `!=`, `in`, `notin`, `key`, `!key`.
 * Keys and values are checked as kube-apiserver checks them; errors are LabelSelectorError.
 */
export function parseSelector(text: string): Selector {
  const out: Selector = [];
  if (!text.trim()) return out;
  for (const raw of splitTop(text)) {
    const p = raw.trim();
    let m: RegExpMatchArray | null;
    if (!p) throw new LabelSelectorError(`unable to parse requirement: found '', expected: identifier in selector "${text}"`);
    if ((m = p.match(/^!\s*(\S+)$/))) out.push({ key: checkKey(m[1]!, text), operator: 'DoesNotExist' });
    else if ((m = p.match(/^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => checkValue(v.trim(), text));
      out.push({ key: checkKey(m[1]!, text), operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = p.match(/^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/))) {
      out.push({ key: checkKey(m[1]!, text), operator: m[2] === '!=' ? 'NotIn' : 'In', values: [checkValue(m[3]!.trim(), text)] });
    } else if ((m = p.match(/^(\S+)$/))) out.push({ key: checkKey(m[1]!, text), operator: 'Exists' });
    else throw new LabelSelectorError(`unable to parse requirement: cannot parse "${p}" in selector "${text}"`);
  }
  return out;
}

export function matches(selector: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of selector) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.operator) {
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      case 'In':
        if (!has || !(r.values ?? []).includes(l[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has && (r.values ?? []).includes(l[r.key]!)) return false;
        break;
    }
  }
  return true;
}

/** The string form of a metav1.LabelSelector, as the API server accepts it in ?labelSelector=. */
export function selectorToString(ls: LabelSelector | undefined): string {
  return fromLabelSelector(ls)
    .map((r) => {
      switch (r.operator) {
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        case 'In':
          return r.values!.length === 1 ? `${r.key}=${r.values![0]}` : `${r.key} in (${[...r.values!].sort().join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${[...r.values!].sort().join(',')})`;
      }
    })
    .join(',');
}
