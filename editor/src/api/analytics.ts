// Step analytics of a flow (GET /flows/:id/analytics, its CSV); shapes in analytics-types.ts.
import { api } from './client';
import { analyticsQuery, type AnalyticsFilter, type AnalyticsReport } from './analytics-types';

export * from './analytics-types';

export const loadAnalytics = (flowId: string, f: AnalyticsFilter = {}, signal?: AbortSignal) =>
  api.get<AnalyticsReport>(`/flows/${encodeURIComponent(flowId)}/analytics${analyticsQuery(f)}`, { signal });

/** The CSV's path under /api/v1 (the link's href; the download itself carries the bearer token). */
export const analyticsCsvPath = (flowId: string, f: AnalyticsFilter) => `/flows/${encodeURIComponent(flowId)}/analytics.csv${analyticsQuery(f)}`;

