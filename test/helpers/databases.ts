// The databases the runtime suites run against: SQLite always, PostgreSQL from
// TEST_DATABASE_URL (default: this machine's postgres://postgres@127.0.0.1:5432/test).
// Each suite gets a fresh database. When PostgreSQL is unreachable the suite fails under CI
// and is skipped (loudly) elsewhere.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../db/index.js';

export const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  db: Database;
  /** Opens another handle on the same database (a "restarted process"). */
  reopen(): Promise<Database>;
  url: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Call from a `before` hook: fails under CI, skips otherwise, when PostgreSQL is down. */
export async function requirePostgres(ctx: Mocha.Context): Promise<void> {
  if (await pgReachable()) return;
  const message = `PostgreSQL is not reachable at ${PG_ADMIN_URL}`;
  if (process.env.CI) throw new Error(`${message} (required in CI)`);
  console.warn(`SKIPPING PostgreSQL suite: ${message}`);
  ctx.skip();
}

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-test-'));
  if (dialect === 'sqlite') {
    const db = await openDatabase({ dataDir });
    return {
      db,
      url: undefined,
      dataDir,
      reopen: () => openDatabase({ dataDir }),
      drop: async () => {
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `tadfuq_t_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), dataDir });
  return {
    db,
    url: url.toString(),
    dataDir,
    reopen: () => openDatabase({ databaseUrl: url.toString(), dataDir }),
    drop: async () => {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
