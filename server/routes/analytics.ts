// Step analytics of a flow (issue 18): GET /flows/:id/analytics (JSON, or CSV with
// ?format=csv) and GET /flows/:id/analytics.csv. Read from the daily rollup only
// (server/analytics/README.md). Permission: flows.read, like every flow read.
import { Type } from '@sinclair/typebox';
import type { Request, Response } from 'express';
import { notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import type { Auth } from '../auth/auth-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { AnalyticsService, analyticsCsv, type AnalyticsQuery } from '../analytics/analytics-service.js';
import { Day, ReportSchema } from '../schemas/analytics.js';
import type { Flow } from '../../engine/index.js';
import { IdParams } from '../schemas/common.js';

const VariantId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' });

const QueryBase = {
  from: Type.Optional({ ...Day, description: 'first Riyadh day (inclusive); default: 29 days before `to`' }),
  to: Type.Optional({ ...Day, description: 'last Riyadh day (inclusive); default: today in Riyadh' }),
  version: Type.Optional(Type.Integer({ minimum: 1, description: 'one published version; default: every version' })),
  variant: Type.Optional({ ...VariantId, description: 'one A/B variant of the send steps' }),
};
const AnalyticsQuerySchema = Type.Object(
  { ...QueryBase, format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })) },
  { additionalProperties: false },
);
const CsvQuerySchema = Type.Object(QueryBase, { additionalProperties: false });

export function analyticsRoutes(ctx: AppContext): RouteSpec[] {
  const service = new AnalyticsService(ctx.db);

  /** The flow (404 for another tenant's) and the definition that names its steps. */
  async function flowOf(auth: Auth, id: string, version: number | undefined): Promise<Flow | null> {
    const flows = ctx.flows(auth.tenant.id);
    const flow = await flows.get(id);
    if (!flow) throw notFound('flow');
    const v = version ?? flow.publishedVersion;
    if (v === null || v === undefined) return flow.draft as Flow;
    return (await flows.versionRecord(flow.id, v))?.definition ?? (flow.draft as Flow);
  }

  async function sendCsv(auth: Auth, id: string, q: AnalyticsQuery, res: Response): Promise<void> {
    await flowOf(auth, id, q.version);
    const { from, to, rows } = await service.rows(auth.tenant.id, id, q);
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="flow-${id}-analytics-${from}-${to}.csv"`);
    // A BOM so spreadsheet programs read the Arabic node ids and reasons as UTF-8.
    res.status(200).send('\uFEFF' + analyticsCsv(rows));
  }

  const queryOf = (q: { from?: string | undefined; to?: string | undefined; version?: number | undefined; variant?: string | undefined }): AnalyticsQuery => ({
    from: q.from,
    to: q.to,
    version: q.version,
    variant: q.variant,
  });

  return [
    route({
      method: 'get',
      path: '/flows/:id/analytics',
      summary: 'Step analytics of a flow: per send step, version, variant and Riyadh day (incremental rollup); ?format=csv for the CSV',
      tag: 'flows',
      access: 'flows.read',
      params: IdParams,
      query: AnalyticsQuerySchema,
      response: ReportSchema,
      media: { 'text/csv': Type.String({ description: '?format=csv: as GET /flows/:id/analytics.csv' }) },
      errors: { 400: 'invalid date range (JSON pointer /query/from or /query/to)', 404: 'no such flow' },
      async handler({ params, query, auth, res }) {
        const q = queryOf(query);
        if (query.format === 'csv') {
          await sendCsv(auth, params.id, q, res);
          return undefined;
        }
        const definition = await flowOf(auth, params.id, q.version);
        return service.report(auth.tenant.id, params.id, q, definition);
      },
    }),
    route({
      method: 'get',
      path: '/flows/:id/analytics.csv',
      summary: 'Step analytics as CSV: one line per day × version × step × variant × channel (UTF-8 with BOM)',
      tag: 'flows',
      access: 'flows.read',
      params: IdParams,
      query: CsvQuerySchema,
      response: Type.String({ description: 'One line per day × version × step × variant × channel (UTF-8 with BOM)' }),
      contentType: 'text/csv',
      errors: { 400: 'invalid date range', 404: 'no such flow' },
      async handler({ params, query, auth, res }: { params: { id: string }; query: AnalyticsQuery; auth: Auth; res: Response; req: Request }) {
        await sendCsv(auth, params.id, queryOf(query), res);
        return undefined;
      },
    }),
  ];
}
