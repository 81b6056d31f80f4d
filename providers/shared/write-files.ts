/**
 * cloud-init's write_files module, shared by both providers' first boot: permissions, encodings (base64, gzip),
 * append, and defer (written after runcmd); paths are absolute, under the machine's root.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface WriteFile {
  path: string;
  content?: string;
  encoding?: string;
  permissions?: string;
  owner?: string;
  append?: boolean;
  defer?: boolean;
}

/** How a boot went: false when a step failed; the machine then never joins, as with a real failed cloud-init. */
export interface BootResult {
  ok: boolean;
  failed?: string;
}

export function decodeContent(f: WriteFile): Buffer {
  const raw = f.content ?? '';
  switch ((f.encoding ?? 'text/plain').toLowerCase()) {
    case 'b64': case 'base64': return Buffer.from(raw, 'base64');
    case 'gz': case 'gzip': return gunzipSync(Buffer.from(raw, 'binary'));
    case 'gz+b64': case 'gz+base64': case 'gzip+b64': case 'gzip+base64': return gunzipSync(Buffer.from(raw, 'base64'));
    case 'text/plain': return Buffer.from(raw);
    default: throw new Error(`write_files ${f.path}: unsupported encoding "${f.encoding}"`);
  }
}

export interface WriteFilesOptions {
  /** The machine's root on the host ('/' inside a machine's own mount namespace). */
  root: string;
  log(line: string): void;
  /** Owners are not applied (no users on a simulated machine): say in the log that they were recorded. */
  noteOwner?: boolean;
}

/** Writes the entries of one pass (deferred or not); the first failure ends the pass. */
export function writeFiles(files: WriteFile[], deferred: boolean, o: WriteFilesOptions): BootResult {
  for (const f of files.filter((w) => Boolean(w.defer) === deferred)) {
    try {
      if (!f.path.startsWith('/')) throw new Error(`write_files ${f.path}: path must be absolute`);
      const target = join(o.root, f.path);
      const mode = parseInt(f.permissions ?? '0644', 8);
      if (Number.isNaN(mode)) throw new Error(`write_files ${f.path}: permissions "${f.permissions}" is not octal`);
      mkdirSync(dirname(target), { recursive: true });
      const data = decodeContent(f);
      if (f.append && existsSync(target)) appendFileSync(target, data);
      else writeFileSync(target, data, { mode });
      chmodSync(target, mode);
      o.log(`write_files: wrote ${f.path} (${data.length} bytes, mode ${mode.toString(8).padStart(4, '0')}${o.noteOwner && f.owner ? `, owner ${f.owner} recorded` : ''})`);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      o.log(`write_files: ${msg}`);
      return { ok: false, failed: msg };
    }
  }
  return { ok: true };
}
