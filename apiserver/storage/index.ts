import { MemoryStorage } from './memory.js';
import { SqliteStorage } from './sqlite.js';
import type { Storage } from './types.js';

export * from './types.js';
export { MemoryStorage } from './memory.js';
export { SqliteStorage } from './sqlite.js';

/**
 * A durable SQLite store in dataDir, or an in-memory one. synchronous FULL also survives power loss (an fsync
 * per write); the default NORMAL survives the server being killed.
 */
export function openStorage(opts: { dataDir?: string; synchronous?: 'NORMAL' | 'FULL' } = {}): Storage {
  return opts.dataDir ? new SqliteStorage(opts.dataDir, opts.synchronous) : new MemoryStorage();
}
