// Step analytics reads (issue 18, the 200 ms target): two covering indexes shaped like the
// report's two GROUP BYs, so neither reads the table nor sorts in a temporary B-tree.
//
// - `analytics_daily_totals` (the totals per version × node × variant × channel × metric × dim):
//   its columns are the GROUP BY's, so the database aggregates while scanning the flow's
//   entries in order; the day range is checked on the index entry (a flow's counters of every
//   day are scanned: a few bytes each, ~1 µs). SQLite's planner would rather seek the day
//   range and sort (10× slower on 90 days): the repository names this index (INDEXED BY).
// - `analytics_daily_series` (per day × node × metric): seeks the day range, already in the
//   GROUP BY's order; it starts with (tenant_id, flow_id, day), so it replaces
//   `analytics_daily_day` from migration 018.
import type { QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addIndex('analytics_daily', ['tenant_id', 'flow_id', 'flow_version', 'node_id', 'variant', 'channel', 'metric', 'dim', 'day', 'n'], { name: 'analytics_daily_totals' });
  await qi.addIndex('analytics_daily', ['tenant_id', 'flow_id', 'day', 'node_id', 'metric', 'flow_version', 'variant', 'n'], { name: 'analytics_daily_series' });
  await qi.removeIndex('analytics_daily', 'analytics_daily_day');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addIndex('analytics_daily', ['tenant_id', 'flow_id', 'day'], { name: 'analytics_daily_day' });
  await qi.removeIndex('analytics_daily', 'analytics_daily_series');
  await qi.removeIndex('analytics_daily', 'analytics_daily_totals');
}
