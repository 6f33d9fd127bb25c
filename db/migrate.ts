import type { Umzug } from 'umzug';
import { Sequelize, type QueryInterface } from 'sequelize';
import { MIGRATIONS_TABLE, MIGRATION_NAMES } from './migration-names.js';
import * as initial from './migrations/001-initial.js';
import * as executionRev from './migrations/002-execution-rev-lease.js';
import * as auditLog from './migrations/003-audit-log.js';
import * as auth from './migrations/004-auth.js';
import * as flowDrafts from './migrations/005-flow-drafts.js';
import * as executionReplay from './migrations/006-execution-replay.js';
import * as credentialsWebhooks from './migrations/007-credentials-webhooks.js';
import * as contactsConsent from './migrations/008-contacts-consent.js';
import * as sendPolicy from './migrations/009-send-policy.js';
import * as outbox from './migrations/010-outbox.js';
import * as inboundMessages from './migrations/011-inbound-messages.js';
import * as enrollments from './migrations/012-enrollments.js';
import * as llmUsage from './migrations/013-llm-usage.js';
import * as escalationsEventsCrm from './migrations/014-escalations-events-crm.js';
import * as erasureConsentTrail from './migrations/015-erasure-consent-trail.js';
import * as executionStarts from './migrations/016-execution-starts.js';
import * as sequences from './migrations/017-sequences.js';
import * as stepAnalytics from './migrations/018-step-analytics.js';
import * as saudiChannels from './migrations/019-saudi-channels.js';
import * as analyticsReadIndexes from './migrations/022-analytics-read-indexes.js';
import * as payments from './migrations/023-payments.js';
import * as llmUsageTaskClass from './migrations/024-llm-usage-task-class.js';
import * as documents from './migrations/025-documents.js';

/** Migrations are listed here (not globbed) so they work the same from source and from dist/. */
const migrations = [
  { name: '001-initial', ...initial },
  { name: '002-execution-rev-lease', ...executionRev },
  { name: '003-audit-log', ...auditLog },
  { name: '004-auth', ...auth },
  { name: '005-flow-drafts', ...flowDrafts },
  { name: '006-execution-replay', ...executionReplay },
  { name: '007-credentials-webhooks', ...credentialsWebhooks },
  { name: '008-contacts-consent', ...contactsConsent },
  { name: '009-send-policy', ...sendPolicy },
  { name: '010-outbox', ...outbox },
  { name: '011-inbound-messages', ...inboundMessages },
  { name: '012-enrollments', ...enrollments },
  { name: '013-llm-usage', ...llmUsage },
  { name: '014-escalations-events-crm', ...escalationsEventsCrm },
  { name: '015-erasure-consent-trail', ...erasureConsentTrail },
  { name: '016-execution-starts', ...executionStarts },
  { name: '017-sequences', ...sequences },
  { name: '018-step-analytics', ...stepAnalytics },
  { name: '019-saudi-channels', ...saudiChannels },
  { name: '022-analytics-read-indexes', ...analyticsReadIndexes },
  { name: '023-payments', ...payments },
  { name: '024-llm-usage-task-class', ...llmUsageTaskClass },
  { name: '025-documents', ...documents },
];
// A start reads migration-names.ts to know whether anything is pending: the two lists must agree.
if (migrations.map((m) => m.name).join() !== MIGRATION_NAMES.join()) throw new Error('db/migration-names.ts and db/migrate.ts list different migrations');

/** umzug (and its CLI dependencies) is loaded only when a migration is pending: most starts have none. */
export async function migrator(sequelize: Sequelize): Promise<Umzug<QueryInterface>> {
  const { Umzug, SequelizeStorage } = await import('umzug');
  return new Umzug({
    migrations: migrations.map((m) => ({ name: m.name, up: m.up, down: m.down })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: MIGRATIONS_TABLE }),
    logger: undefined,
  });
}

/**
 * Apply the pending migrations with Sequelize and umzug (loaded only for this, see
 * database.ts), then close the connection they used.
 */
export async function runMigrations(target: { databaseUrl: string } | { sqliteFile: string; sqliteModule: object }): Promise<void> {
  const sequelize =
    'databaseUrl' in target
      ? new Sequelize(target.databaseUrl, { dialect: 'postgres', logging: false, pool: { max: 1 } })
      : new Sequelize({
          dialect: 'sqlite',
          dialectModule: target.sqliteModule,
          storage: target.sqliteFile,
          logging: false,
          // Sequelize opens a fresh SQLite connection per transaction without a busy timeout: give
          // each one SQLite's own (it waits inside the driver), and retry what still finds the lock.
          retry: { match: [/SQLITE_BUSY/], max: 50 },
        });
  if (!('databaseUrl' in target)) {
    sequelize.addHook('afterConnect', (connection: unknown) => {
      (connection as { run(sql: string): void }).run('PRAGMA busy_timeout = 10000');
    });
  }
  try {
    await (await migrator(sequelize)).up();
  } finally {
    await sequelize.close();
  }
}
