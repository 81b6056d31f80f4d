/**
 * The providers' machine and cluster records are JSON files under the data directory, so a restarted daemon finds
 * its machines again: what every record holds, and how records are written (atomically) and read back (tolerantly).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What every provider records about a machine (the "cloud's" view: which Machine, where, which version). */
export interface MachineRecordBase {
  namespace: string;
  name: string;
  uid?: string;
  cluster: string;
  providerID: string;
  address: string;
  version: string;
  createdAt: string;
}

/** Written to a temporary file and renamed, so a crash never leaves half a record. */
export function writeJsonAtomic(path: string, value: unknown, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 1), { mode });
  renameSync(tmp, path);
}

/** The entries of a folder; none when it is missing or unreadable. */
export function safeReaddir(dir: string): string[] {
  try {
    return existsSync(dir) ? readdirSync(dir) : [];
  } catch {
    return [];
  }
}

/** A record, or undefined when it is missing or unreadable (a record being replaced is skipped, not fatal). */
export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
