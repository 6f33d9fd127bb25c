// Opens the store the configuration asks for: PostgreSQL when DATABASE_URL is set, else a
// SQLite file under the data directory. Pending migrations run on open, with Sequelize and
// umzug loaded only then: a start on a current store checks the applied names with one query
// (Sequelize with its dependencies costs ~10 MB of memory and a tenth of a second at start).
import path from 'node:path';
import { MIGRATIONS_TABLE, MIGRATION_NAMES } from './migration-names.js';
import { createPgExecutor, createSqliteExecutor, sqlite3, type SqlExecutor } from './sql-executor.js';
import { createPrivateFile, securePrivateDir } from './private-dir.js';

export interface DatabaseConfig {
  /** postgres://… ; when absent, SQLite under dataDir. */
  databaseUrl?: string | undefined;
  dataDir: string;
}

export interface Database {
  dialect: 'sqlite' | 'postgres';
  sql: SqlExecutor;
  close(): Promise<void>;
}

export function sqliteFile(dataDir: string): string {
  return path.join(dataDir, 'tadfuq.sqlite');
}

/** Whether every migration is recorded as applied (no table yet: no). */
async function upToDate(sql: SqlExecutor): Promise<boolean> {
  try {
    const applied = new Set((await sql.query(`SELECT name FROM ${MIGRATIONS_TABLE}`)).map((r) => String(r.name)));
    return MIGRATION_NAMES.every((name) => applied.has(name));
  } catch {
    return false;
  }
}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(config.databaseUrl)) throw new Error('DATABASE_URL must be a postgres:// URL');
    const sql = createPgExecutor(config.databaseUrl);
    try {
      if (!(await upToDate(sql))) await (await import('./migrate.js')).runMigrations({ databaseUrl: config.databaseUrl });
    } catch (err) {
      await sql.close().catch(() => undefined);
      throw err;
    }
    return { dialect: 'postgres', sql, close: () => sql.close() };
  }
  // Private (0700, files 0600): the store holds password hashes and contacts (private-dir.ts).
  securePrivateDir(config.dataDir);
  const file = sqliteFile(config.dataDir);
  createPrivateFile(file);
  // WAL and the busy timeout are set before the migrations open their own connection.
  const sql = await createSqliteExecutor(file);
  try {
    if (!(await upToDate(sql))) await (await import('./migrate.js')).runMigrations({ sqliteFile: file, sqliteModule: sqlite3 });
  } catch (err) {
    await sql.close().catch(() => undefined);
    throw err;
  }
  securePrivateDir(config.dataDir); // the -wal/-shm journals SQLite just created
  return { dialect: 'sqlite', sql, close: () => sql.close() };
}
