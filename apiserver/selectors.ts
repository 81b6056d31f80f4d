/** Label and field selectors in the syntax of `?labelSelector=` and `?fieldSelector=`. */
import { getOwn } from '../lib/safe-json.js';
import { LabelSelectorError, matches, parseSelector, selectorToString, type LabelSelector, type Selector } from '../lib/labels.js';
import { badRequest } from './status.js';

export type Matcher = (labels: Record<string, string> | undefined) => boolean;

/** A ?labelSelector= as a matcher; undefined when empty. The parser is lib/labels.ts, shared with the runtime. */
export function parseLabelSelector(sel: string | undefined): Matcher | undefined {
  if (!sel || !sel.trim()) return undefined;
  let reqs: Selector;
  try {
    reqs = parseSelector(sel);
  } catch (err) {
    if (err instanceof LabelSelectorError) throw badRequest(err.message);
    throw err;
  }
  return (labels) => matches(reqs, labels);
}

/** A label selector (string, or metav1.LabelSelector) in string form, for the Scale subresource's status.selector. */
export function formatLabelSelector(sel: unknown): string {
  if (typeof sel === 'string') return sel;
  if (!sel || typeof sel !== 'object') return '';
  return selectorToString(sel as LabelSelector);
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
    cur = getOwn(cur, seg);
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

/** The terms of a field selector, for authorization (the Node authorizer scopes pod lists by spec.nodeName); [] when malformed. */
export function fieldSelectorTerms(sel: string | undefined): { field: string; op: '=' | '!='; value: string }[] {
  if (!sel || !sel.trim()) return [];
  const out: { field: string; op: '=' | '!='; value: string }[] = [];
  for (const part of splitUnescaped(sel, ',')) {
    const m = part.trim().match(/^([A-Za-z0-9_.\-/]+)\s*(==|=|!=)(.*)$/);
    if (!m) return [];
    out.push({ field: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: unescapeField(m[3]!) });
  }
  return out;
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
