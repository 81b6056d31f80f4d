/** intstr.IntOrString as Deployments resolve it: an integer, or a percentage of a total. */

/**
 * Resolves `value` against `total`. Percentages round up when `roundUp` (maxSurge) and down otherwise
 * (maxUnavailable), so a rollout never stalls on "0 of 3" surge and never overshoots its unavailability budget.
 * Throws an Error naming `field` for anything else.
 */
export function resolveIntOrPercent(value: number | string | undefined, total: number, roundUp: boolean, fallback: number | string, field: string): number {
  const v = value ?? fallback;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${field}: must be a non-negative integer or a percentage, got ${v}`);
    return v;
  }
  const m = /^(\d+)%$/.exec(v.trim());
  if (!m) {
    if (/^\d+$/.test(v.trim())) return Number(v.trim());
    throw new Error(`${field}: must be a non-negative integer or a percentage such as "25%", got "${v}"`);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}
