// A running server context for an API suite: on SQLite (a temp data directory) or on a fresh
// PostgreSQL database, runtime started, with the HTTP app; close() removes everything.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import { pino } from 'pino';
import { createContext, type AppContext } from '../../server/app-context.js';
import { loadConfig } from '../../server/config.js';
import { createTestDatabase, type Dialect } from './databases.js';
import { assertContract, checkedApp } from './contract.js';

export interface ApiEnv {
  ctx: AppContext;
  app: RequestListener;
  close(): Promise<void>;
}

/** Call requirePostgres(this) first for PostgreSQL (it fails under CI, skips elsewhere). */
export async function openApiEnv(dialect: Dialect, label = 'api'): Promise<ApiEnv> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `tadfuq-${label}-`));
  const pgDb = dialect === 'postgres' ? await createTestDatabase('postgres') : undefined;
  await pgDb?.db.close(); // the context opens its own handle on the same database
  const ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: pgDb?.url ?? '' }), pino({ level: 'silent' }));
  await ctx.runtime.start();
  // Every answer the suite receives is checked against the OpenAPI document (strictly); close() reports the misfits.
  const app = checkedApp(ctx);
  return {
    ctx,
    app,
    async close() {
      await ctx.close();
      await pgDb?.drop();
      await rm(dataDir, { recursive: true, force: true });
      assertContract(app);
    },
  };
}
