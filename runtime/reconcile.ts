/**
 * The parts every reconciler is built from, as controller-runtime's reconcile package and Cluster API's
 * controllers share them: what a reconciler is constructed with, and how the results of its phases combine.
 */
import type { Reader } from './cache/cache.js';
import type { Client } from './client.js';
import type { EventRecorder } from './recorder.js';

/** What every reconciler is constructed with (first argument; its own options come second). */
export interface ReconcilerEnv {
  /** Writes, and reads that must not lag (a claim, a final re-read). */
  client: Client;
  /** The manager's informer cache: where reconcilers read what they reconcile. */
  cache: Reader;
  recorder: EventRecorder;
}
