/** What the Cluster and Machine controllers need from the daemon besides the manager. */
import type { InfrastructureProvider } from '../../providers/types.js';

export interface ProviderLookup {
  /** The provider registered under name; rejects with a message naming the registered ones. */
  get(name: string): Promise<InfrastructureProvider>;
}

export const errMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
