/**
 * events.k8s.io/v1 Events are the core/v1 Events seen through another schema, as in kube-apiserver: one store,
 * so `kubectl describe` (core/v1) shows what a controller recorded through events.k8s.io and the other way round.
 */
import { hasOwn } from '../lib/safe-json.js';
import type { KObject } from './storage/index.js';

/** [core/v1 field, events.k8s.io/v1 field] for the fields that differ in name only. */
const RENAMES: [string, string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['reportingComponent', 'reportingController'],
];

function rename(obj: KObject, from: 0 | 1): KObject {
  const out: Record<string, unknown> = { ...obj };
  for (const pair of RENAMES) {
    const a = pair[from];
    const b = pair[1 - from]!;
    if (hasOwn(out, a)) {
      out[b] = out[a];
      delete out[a];
    }
  }
  return out as KObject;
}

export function eventToV1(core: KObject): KObject {
  return { ...rename(core, 0), apiVersion: 'events.k8s.io/v1', kind: 'Event' };
}

export function eventFromV1(v1: KObject): KObject {
  return { ...rename(v1, 1), apiVersion: 'v1', kind: 'Event' };
}
