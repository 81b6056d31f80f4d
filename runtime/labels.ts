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
  for (const [key, value] of Object.entries(ls?.matchLabels ?? {})) out.push({ key, operator: 'In', values: [value] });
  for (const e of ls?.matchExpressions ?? []) {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) {
      throw new Error(`matchExpressions: unsupported operator "${String(e.operator)}" for key "${e.key}"`);
    }
    out.push({ key: e.key, operator: e.operator, values: e.values ?? [] });
  }
  return out;
}

/** Parses the string form used by `-l` and `?labelSelector=`: `=`, `==`, `!=`, `in`, `notin`, `key`, `!key`. */
export function parseSelector(text: string): Selector {
  const out: Selector = [];
  const s = text.trim();
  if (!s) return out;
  // Split on commas that are not inside parentheses.
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
  for (const raw of parts) {
    const p = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^!\s*([^\s=!(),]+)$/))) out.push({ key: m[1]!, operator: 'DoesNotExist' });
    else if ((m = p.match(/^([^\s=!(),]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      out.push({ key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = p.match(/^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/))) {
      out.push({ key: m[1]!, operator: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3]!] });
    } else if ((m = p.match(/^([^\s=!(),]+)$/))) out.push({ key: m[1]!, operator: 'Exists' });
    else throw new Error(`invalid label selector "${text}": cannot parse "${p}"`);
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
