/**
 * Own-property access for JSON that came from users. Keys such as `__proto__`, `constructor` or `toString` are
 * ordinary keys in JSON (and in kube-apiserver, which is Go), but in JavaScript `o[k]` reads the prototype chain and
 * `o['__proto__'] = v` replaces an object's prototype. Every walker that merges, patches, defaults, prunes or
 * validates user JSON reads and writes through these helpers, so a key is only ever an own data property: a patch
 * path through `/__proto__/...` finds nothing, and a `__proto__` field is data that is kept, pruned or refused like
 * any other field.
 */

export type JsonMap = Record<string, unknown>;

const hasOwnProperty = Object.prototype.hasOwnProperty;

export function hasOwn(o: object, k: string): boolean {
  return hasOwnProperty.call(o, k);
}

/** o[k] when k is o's own property, else undefined (never an inherited member such as Object.prototype). */
export function getOwn<T = unknown>(o: object | undefined | null, k: string): T | undefined {
  if (o === null || o === undefined) return undefined;
  return hasOwnProperty.call(o, k) ? ((o as JsonMap)[k] as T) : undefined;
}

/** Sets k as an own, enumerable data property; `__proto__` is defined, never assigned (assignment sets the prototype). */
export function setOwn(o: object, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else (o as JsonMap)[k] = v;
}

/**
 * kube-apiserver's nesting limit (k8s.io/apimachinery/pkg/util/json and structured-merge-diff): 10,000 levels. Our
 * walkers recurse, and a JavaScript stack holds fewer frames than a Go one, so clusterd refuses earlier, at a depth
 * no real object comes near; the message is kube's.
 */
export const MAX_JSON_DEPTH = 1000;

/** The depth of a JSON value (a scalar is 0), found without recursion; stops counting past `limit`. */
export function jsonDepth(v: unknown, limit = MAX_JSON_DEPTH): number {
  if (v === null || typeof v !== 'object') return 0;
  let max = 0;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [cur, d] = stack.pop()!;
    if (d > max) {
      max = d;
      if (max > limit) return max;
    }
    const children = Array.isArray(cur) ? cur : Object.values(cur as JsonMap);
    for (const c of children) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

/** The error text kube uses when a document nests too deeply, or undefined when it is within the limit. */
export function depthError(v: unknown, limit = MAX_JSON_DEPTH): string | undefined {
  return jsonDepth(v, limit) > limit ? `exceeded max depth of ${limit}` : undefined;
}

/** What a decoded document costs once expanded, as go-yaml counts it (every node, and the nodes reached by an alias). */
export interface DecodeLimits {
  /** The largest JSON encoding accepted, in bytes (kube-apiserver's request limit). */
  maxBytes: number;
  maxDepth?: number;
}

export type DecodeProblem =
  | { kind: 'aliasing'; message: string }
  | { kind: 'depth'; message: string }
  | { kind: 'size'; message: string };

// go-yaml v2/v3's bounds (decode.go allowedAliasRatio): up to 99% of nodes may come from alias expansion in small
// documents, down to 10% in documents of 4,000,000 nodes and more.
const ALIAS_RATIO_LOW = 400_000;
const ALIAS_RATIO_HIGH = 4_000_000;

function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= ALIAS_RATIO_LOW) return 0.99;
  if (decodeCount >= ALIAS_RATIO_HIGH) return 0.1;
  return 0.99 - 0.89 * ((decodeCount - ALIAS_RATIO_LOW) / (ALIAS_RATIO_HIGH - ALIAS_RATIO_LOW));
}

/**
 * Checks a decoded document without expanding it: js-yaml hands back an alias as the same object again, so a few
 * hundred bytes of anchors can stand for gigabytes of JSON. The walk counts nodes the way go-yaml does when it
 * expands aliases, and refuses what go-yaml refuses ("excessive aliasing"), documents nested past the depth limit,
 * and documents whose JSON would exceed maxBytes. It stops at the first problem, so its cost is bounded.
 */
export function checkDecoded(v: unknown, limits: DecodeLimits): DecodeProblem | undefined {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  const seen = new Set<object>();
  let decodeCount = 0;
  let aliasCount = 0;
  let bytes = 0;
  const stack: { v: unknown; depth: number; alias: boolean }[] = [{ v, depth: 0, alias: false }];
  while (stack.length) {
    const { v: cur, depth, alias: inAlias } = stack.pop()!;
    decodeCount++;
    let alias = inAlias;
    if (cur !== null && typeof cur === 'object') {
      if (seen.has(cur)) alias = true;
      else seen.add(cur);
      if (depth + 1 > maxDepth) return { kind: 'depth', message: `exceeded max depth of ${maxDepth}` };
      if (Array.isArray(cur)) {
        bytes += 2 + cur.length;
        for (const c of cur) stack.push({ v: c, depth: depth + 1, alias });
      } else {
        for (const [k, c] of Object.entries(cur as JsonMap)) {
          bytes += k.length + 4;
          decodeCount++;
          if (alias) aliasCount++;
          stack.push({ v: c, depth: depth + 1, alias });
        }
        bytes += 2;
      }
    } else {
      bytes += typeof cur === 'string' ? cur.length + 2 : String(cur).length;
    }
    if (alias) aliasCount++;
    if (aliasCount > 100 && decodeCount > 1000 && aliasCount / decodeCount > allowedAliasRatio(decodeCount)) {
      return { kind: 'aliasing', message: 'yaml: document contains excessive aliasing' };
    }
    if (bytes > limits.maxBytes) return { kind: 'size', message: `the decoded object is larger than ${limits.maxBytes} bytes` };
  }
  return undefined;
}

/**
 * A user value in a message: strings as they are, anything else as JSON. String(v) and `${v}` call a user object's
 * own `toString` key, and a JSON `{"toString": 1}` makes them throw ("Cannot convert object to primitive value").
 */
export function display(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
