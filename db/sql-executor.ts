// Every query (the hot path and the repositories) talks to the driver directly: Sequelize
// opens a new SQLite connection per transaction and has no busy timeout, which costs
// throughput and fails under contention. Only the migrations use Sequelize (db/migrate.ts).
// SQL here is written once with $1-style placeholders for both dialects.
import { createRequire } from 'node:module';
import type * as Sqlite3 from 'sqlite3';
import pg from 'pg';

// `sqlite3` is @appthreat/sqlite3 under node-sqlite3's name (package.json): the same API, with
// prebuilt binaries inside its npm package, so `npm install` compiles nothing for it. It is
// transpiled ESM: the API (Database, OPEN_* flags) sits on `.default`.
const loaded = createRequire(import.meta.url)('sqlite3') as typeof Sqlite3 & { default?: typeof Sqlite3 };
/** The sqlite3 module as node-sqlite3 shapes it; Sequelize gets it as its `dialectModule`. */
export const sqlite3: typeof Sqlite3 = loaded.default ?? loaded;

export type Row = Record<string, unknown>;

/** A JSON column: TEXT (parsed here) on both dialects, or already parsed; NULL stays null. */
export const parseJsonColumn = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v ?? null);
export type Query = (sql: string, params?: unknown[]) => Promise<Row[]>;

/** A unique (or primary key) violation, on PostgreSQL or SQLite; with `table`, one naming it. */
export function isUniqueViolation(err: unknown, table?: string): boolean {
  const e = err as { code?: string; message?: string; constraint?: string } | null;
  if (!e) return false;
  const unique = e.code === '23505' || (e.code === 'SQLITE_CONSTRAINT' && /UNIQUE|PRIMARY/i.test(e.message ?? ''));
  return unique && (table === undefined || `${e.message ?? ''} ${e.constraint ?? ''}`.includes(table));
}

export interface SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  query: Query;
  /** Run `fn` in one transaction on one connection; commit and return its result, or roll back on error. */
  transaction<T>(fn: (query: Query) => Promise<T>): Promise<T>;
  /**
   * Run SQL text of several statements (values inlined with `literal`) as ONE transaction in
   * ONE round trip to the driver: SQLite one exec on the writer, PostgreSQL one simple-protocol
   * query (an implicit transaction). A statement that fails rolls everything back.
   */
  script(sql: string): Promise<void>;
  /** Whether a script failed on its guard (see SqlRunStore: a revision conflict), not on an error. */
  isGuardFailure(err: unknown): boolean;
  close(): Promise<void>;
}

/**
 * A SQL literal for a string, finite number or null, or undefined when the value cannot be
 * inlined safely (then the caller uses parameters). Strings are quoted by doubling quotes;
 * with a backslash, PostgreSQL gets an E'' literal with backslashes doubled (correct whatever
 * standard_conforming_strings says). A NUL character is refused: SQLite's exec would cut the
 * SQL text there.
 */
export function literal(dialect: 'sqlite' | 'postgres', v: unknown): string | undefined {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v !== 'string' || v.includes('\0')) return undefined;
  if (dialect === 'postgres' && v.includes('\\')) return `E'${v.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
  return `'${v.replaceAll("'", "''")}'`;
}

/** $1 -> ?1: SQLite's numbered parameters bind by position like PostgreSQL's. */
const toSqlite = (sql: string): string => sql.replace(/\$(\d+)/g, '?$1');

function openSqlite(file: string): Promise<Sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(db)));
  });
}

function all(db: Sqlite3.Database, sql: string, params: unknown[] = []): Promise<Row[]> {
  return new Promise((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as Row[]))));
}

function exec(db: Sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
}

const SQLITE_PRAGMAS = `
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = NORMAL;
  PRAGMA busy_timeout = 10000;
  PRAGMA foreign_keys = ON;
`;

/** The guard of script(): a row is inserted (and refused by the CHECK) only when the count is wrong. */
const SQLITE_GUARD = 'CREATE TEMP TABLE IF NOT EXISTS tadfuq_guard (ok INTEGER CHECK (ok))';
const GUARD_FAILED = /CHECK constraint failed: (?:ok|tadfuq_guard)/;

/**
 * Two connections: one writer (transactions are serialised on it) and one reader, so a read
 * never observes a batch that is still open. WAL lets them run side by side; synchronous=NORMAL
 * in WAL mode survives a killed process (not a power cut: see db/README.md).
 */
export async function createSqliteExecutor(file: string): Promise<SqlExecutor> {
  const writer = await openSqlite(file);
  const reader = await openSqlite(file);
  await exec(writer, SQLITE_PRAGMAS);
  await exec(reader, SQLITE_PRAGMAS);
  await exec(writer, SQLITE_GUARD);
  let tail: Promise<void> = Promise.resolve();
  /** Writes are serialised on the one writer connection: each waits for the one before. */
  const onWriter = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work);
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
  return {
    dialect: 'sqlite',
    query: (sql, params) => all(reader, toSqlite(sql), params),
    script: (sql) =>
      onWriter(async () => {
        try {
          await exec(writer, `BEGIN IMMEDIATE;\n${sql};\nCOMMIT;`);
        } catch (err) {
          // exec stops at the failing statement: the transaction may still be open.
          await exec(writer, 'ROLLBACK').catch(() => undefined);
          throw err;
        }
      }),
    isGuardFailure: (err) => GUARD_FAILED.test(String((err as Error)?.message)),
    transaction: (fn) =>
      onWriter(async () => {
        await exec(writer, 'BEGIN IMMEDIATE');
        try {
          const result = await fn((sql, params) => all(writer, toSqlite(sql), params));
          await exec(writer, 'COMMIT');
          return result;
        } catch (err) {
          await exec(writer, 'ROLLBACK').catch(() => undefined);
          throw err;
        }
      }),
    async close() {
      await tail;
      await Promise.all([writer, reader].map((db) => new Promise<void>((resolve) => db.close(() => resolve()))));
    },
  };
}

// BIGINT columns hold epoch milliseconds; they fit a JS number exactly.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createPgExecutor(connectionString: string, max = 10): SqlExecutor {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client dropped by the server (restart, failover) must not crash the process;
  // the pool replaces it on the next checkout.
  pool.on('error', () => undefined);
  return {
    dialect: 'postgres',
    query: async (sql, params) => (await pool.query(sql, params)).rows as Row[],
    // Without parameters pg uses the simple query protocol: several statements, one implicit
    // transaction, one round trip.
    script: async (sql) => void (await pool.query(sql)),
    isGuardFailure: (err) => (err as { code?: string })?.code === '22012',
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(async (sql, params) => (await client.query(sql, params)).rows as Row[]);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
