import { MemoryStorage } from './memory.js';
import { SqliteStorage } from './sqlite.js';
import type { Storage } from './types.js';

export * from './types.js';
export { MemoryStorage } from './memory.js';
export { SqliteStorage } from './sqlite.js';

/** A durable SQLite store in dataDir, or an in-memory one. */
export function openStorage(opts: { dataDir?: string } = {}): Storage {
  return opts.dataDir ? new SqliteStorage(opts.dataDir) : new MemoryStorage();
}
