/**
 * The durable backend: SQLite (better-sqlite3) in WAL mode. Every write is one transaction that has reached
 * the WAL file (write(2)) before the API answers, so an acknowledged write survives kill -9 of the server:
 * the kernel holds it even though the process is gone. synchronous=NORMAL (the default here) leaves the
 * fsync to WAL checkpoints, so an OS crash or power loss may lose the last moments of writes but never
 * corrupts the store; synchronous=FULL fsyncs every commit (power-loss durable, several times slower on a
 * busy disk, and the fsync blocks the event loop). All objects are
 * also held in memory (MemoryStorage) for reads; SQLite is written through and read once at startup.
 * The global revision lives in its own row so that deletes, which leave no object behind, still advance it.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStorage, type Persistence } from './memory.js';
import type { KObject, ObjectKey } from './types.js';

class SqlitePersistence implements Persistence {
  private readonly putStmt: Database.Statement;
  private readonly delStmt: Database.Statement;
  private readonly rvStmt: Database.Statement;
  private readonly putTx: (key: ObjectKey, json: string, rv: number) => void;
  private readonly delTx: (key: ObjectKey, rv: number) => void;

  constructor(readonly db: Database.Database) {
    this.putStmt = db.prepare('INSERT OR REPLACE INTO objects(resource, namespace, name, rv, data) VALUES (?, ?, ?, ?, ?)');
    this.delStmt = db.prepare('DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?');
    this.rvStmt = db.prepare("UPDATE meta SET value = ? WHERE key = 'rv'");
    this.putTx = db.transaction((key: ObjectKey, json: string, rv: number) => {
      this.putStmt.run(key.resource, key.namespace, key.name, rv, json);
      this.rvStmt.run(rv);
    });
    this.delTx = db.transaction((key: ObjectKey, rv: number) => {
      this.delStmt.run(key.resource, key.namespace, key.name);
      this.rvStmt.run(rv);
    });
  }

  put(key: ObjectKey, obj: KObject, rv: number): void {
    this.putTx(key, JSON.stringify(obj), rv);
  }

  remove(key: ObjectKey, rv: number): void {
    this.delTx(key, rv);
  }
}

export class SqliteStorage extends MemoryStorage {
  private readonly db: Database.Database;

  constructor(dataDir: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL') {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const db = new Database(join(dataDir, 'store.db'));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    db.exec(`CREATE TABLE IF NOT EXISTS objects (
      resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, rv INTEGER NOT NULL, data TEXT NOT NULL,
      PRIMARY KEY (resource, namespace, name));
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta(key, value) VALUES ('rv', 0);`);
    super(new SqlitePersistence(db));
    this.db = db;
    const row = db.prepare("SELECT value FROM meta WHERE key = 'rv'").get() as { value: number };
    this.rv = row.value;
    const rows = db.prepare('SELECT resource, namespace, name, data FROM objects').iterate() as Iterable<{
      resource: string; namespace: string; name: string; data: string;
    }>;
    for (const r of rows) this.load({ resource: r.resource, namespace: r.namespace, name: r.name }, JSON.parse(r.data) as KObject);
  }

  override close(): void {
    super.close();
    if (this.db.open) this.db.close();
  }
}
