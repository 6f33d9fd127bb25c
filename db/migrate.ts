import { Umzug, SequelizeStorage } from 'umzug';
import type { QueryInterface, Sequelize } from 'sequelize';
import * as initial from './migrations/001-initial.js';
import * as executionRev from './migrations/002-execution-rev-lease.js';
import * as auditLog from './migrations/003-audit-log.js';
import * as auth from './migrations/004-auth.js';

/** Migrations are listed here (not globbed) so they work the same from source and from dist/. */
const migrations = [
  { name: '001-initial', ...initial },
  { name: '002-execution-rev-lease', ...executionRev },
  { name: '003-audit-log', ...auditLog },
  { name: '004-auth', ...auth },
];

export function migrator(sequelize: Sequelize): Umzug<QueryInterface> {
  return new Umzug({
    migrations: migrations.map((m) => ({ name: m.name, up: m.up, down: m.down })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
}

export async function migrate(sequelize: Sequelize): Promise<void> {
  await migrator(sequelize).up();
}
