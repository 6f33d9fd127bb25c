// The migrations db/migrate.ts runs, by name, in order, and the table that records them.
// Kept apart from the migrations themselves (which load Sequelize): a start whose store is
// current checks these names with one query and never loads Sequelize or umzug at all.
export const MIGRATIONS_TABLE = 'schema_migrations';

export const MIGRATION_NAMES = [
  '001-initial',
  '002-execution-rev-lease',
  '003-audit-log',
  '004-auth',
  '005-flow-drafts',
  '006-execution-replay',
  '007-credentials-webhooks',
  '008-contacts-consent',
  '009-send-policy',
  '010-outbox',
  '011-inbound-messages',
  '012-enrollments',
  '013-llm-usage',
  '014-escalations-events-crm',
  '015-erasure-consent-trail',
  '016-execution-starts',
  '017-sequences',
  '018-step-analytics',
  '019-saudi-channels',
  '022-analytics-read-indexes',
  '023-payments',
  '024-llm-usage-task-class',
  '025-documents',
] as const;
