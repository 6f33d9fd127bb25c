// The step analytics report (GET /api/v1/flows/{id}/analytics): one schema per shape. The
// route answers with ReportSchema, the service builds the Static types, and the editor imports
// those types (type-only), so the three cannot drift apart.
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

export const COUNT_KEYS = ['reached', 'sent', 'blocked', 'failed', 'delivered', 'read', 'replied', 'optedOut', 'escalated', 'converted'] as const;
export type CountKey = (typeof COUNT_KEYS)[number];

/** A calendar day in Asia/Riyadh. */
export const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a calendar day in Asia/Riyadh, YYYY-MM-DD' });

export const CountsSchema = Type.Object(Object.fromEntries(COUNT_KEYS.map((k) => [k, Type.Integer({ minimum: 0 })])) as Record<CountKey, ReturnType<typeof Type.Integer>>, { additionalProperties: false });
const Rate = Nullable(Type.Number({ minimum: 0, description: 'a fraction (0.25 = 25%); null when its base is 0' }));
export const RatesSchema = Type.Object(
  {
    sent: Rate,
    blocked: Rate,
    delivered: Rate,
    read: Rate,
    replied: Rate,
    optedOut: Rate,
    escalated: Rate,
    converted: Rate,
  },
  { additionalProperties: false, description: 'sent and blocked per reached; the rest per sent' },
);
const ByKey = Type.Record(Type.String(), Type.Integer({ minimum: 0 }));
export const BreakdownFields = {
  counts: CountsSchema,
  rates: RatesSchema,
  blockedBy: ByKey,
  failedBy: ByKey,
  replyClasses: ByKey,
  medianReplyMs: Nullable(Type.Integer({ minimum: 0, description: 'estimated from quarter-octave histograms (±9%)' })),
  sentByProvider: { ...ByKey, description: 'messages sent per provider (whatsapp-cloud, ultramsg, twilio, unifonic, taqnyat, smtp, sandbox)' },
  costHalalas: Type.Integer({ minimum: 0, description: 'the outbox’s cost estimates of the messages sent, in halalas (100 = 1 SAR)' }),
};
const TestSchema = { z: Type.Number(), pValue: Type.Number({ minimum: 0, maximum: 1 }), confidence: Type.Number({ minimum: 0, maximum: 1 }) };
export const ComparisonSchema = Type.Object(
  {
    metric: Type.Literal('reply_rate'),
    method: Type.Literal('two_proportion_z_test'),
    leader: Nullable(Type.String()),
    against: Type.Array(Type.Object({ variant: Type.String(), ...TestSchema }, { additionalProperties: false })),
    confidence: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
    minSample: Type.Integer(),
    requiredConfidence: Type.Number(),
    significant: Type.Boolean(),
    winner: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export const BreakdownSchema = Type.Object(BreakdownFields, { additionalProperties: false });
export const StepReportSchema = Type.Object(
  {
    nodeId: Type.String(),
    type: Nullable(Type.String()),
    label: Nullable(Type.String()),
    channels: Type.Array(Type.String()),
    ...BreakdownFields,
    variants: Type.Array(Type.Object({ variant: Type.String(), ...BreakdownFields }, { additionalProperties: false })),
    comparison: Nullable(ComparisonSchema),
    days: Type.Array(Type.Object({ day: Day, counts: CountsSchema }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export const ReportSchema = Type.Object(
  {
    flowId: Type.String(),
    timezone: Type.Literal('Asia/Riyadh'),
    from: Day,
    to: Day,
    version: Nullable(Type.Integer()),
    variant: Nullable(Type.String()),
    versions: Type.Array(Type.Integer(), { description: 'versions with figures in the range' }),
    enrolled: Type.Integer({ minimum: 0 }),
    steps: Type.Array(StepReportSchema),
    days: Type.Array(Type.Object({ day: Day, enrolled: Type.Integer({ minimum: 0 }), counts: CountsSchema }, { additionalProperties: false })),
    providerLabels: Type.Record(Type.String(), Type.Object({ en: Type.String(), ar: Type.String() }, { additionalProperties: false }), { description: 'provider name → its name in English and Arabic' }),
  },
  { additionalProperties: false },
);

export type Counts = Static<typeof CountsSchema>;
export type Rates = Static<typeof RatesSchema>;
export type Breakdown = Static<typeof BreakdownSchema>;
export type VariantComparison = Static<typeof ComparisonSchema>;
export type StepReport = Static<typeof StepReportSchema>;
export type AnalyticsReport = Static<typeof ReportSchema>;
