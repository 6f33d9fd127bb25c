// Opens the store the configuration asks for: PostgreSQL when DATABASE_URL is set, else a
// SQLite file under the data directory. Migrations run on open.
import path from 'node:path';
import { Sequelize } from 'sequelize';
import { migrate } from './migrate.js';
import { createPgExecutor, createSqliteExecutor, sqlite3, type SqlExecutor } from './sql-executor.js';
import { createPrivateFile, securePrivateDir } from './private-dir.js';

export interface DatabaseConfig {
  /** postgres://… ; when absent, SQLite under dataDir. */
  databaseUrl?: string | undefined;
  dataDir: string;
}

export interface Database {
  dialect: 'sqlite' | 'postgres';
  sequelize: Sequelize;
  sql: SqlExecutor;
  close(): Promise<void>;
}

export function sqliteFile(dataDir: string): string {
  return path.join(dataDir, 'tadfuq.sqlite');
}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(config.databaseUrl)) throw new Error('DATABASE_URL must be a postgres:// URL');
    const sequelize = new Sequelize(config.databaseUrl, { dialect: 'postgres', logging: false, pool: { max: 5 } });
    await sequelize.authenticate();
    await migrate(sequelize);
    const sql = createPgExecutor(config.databaseUrl);
    return { dialect: 'postgres', sequelize, sql, close: async () => void (await Promise.all([sql.close(), sequelize.close()])) };
  }
  // Private (0700, files 0600): the store holds password hashes and contacts (private-dir.ts).
  securePrivateDir(config.dataDir);
  const file = sqliteFile(config.dataDir);
  createPrivateFile(file);
  // Set WAL and the busy timeout before Sequelize opens its own connection.
  const sql = await createSqliteExecutor(file);
  const sequelize = new Sequelize({
    dialect: 'sqlite',
    dialectModule: sqlite3,
    storage: file,
    logging: false,
    // Sequelize opens a fresh SQLite connection per transaction without a busy timeout: give
    // each one SQLite's own (it waits inside the driver), and retry what still finds the lock.
    retry: { match: [/SQLITE_BUSY/], max: 50 },
  });
  sequelize.addHook('afterConnect', (connection: unknown) => {
    (connection as { run(sql: string): void }).run('PRAGMA busy_timeout = 10000');
  });
  await migrate(sequelize);
  securePrivateDir(config.dataDir); // the -wal/-shm journals SQLite just created
  return { dialect: 'sqlite', sequelize, sql, close: async () => void (await Promise.all([sql.close(), sequelize.close()])) };
}
