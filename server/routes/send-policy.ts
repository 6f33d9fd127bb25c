// The tenant's send policy (business days and hours, per-channel hour bounds, daily caps) and
// its holidays, with each holiday's dates also in the Hijri (Umm al-Qura) calendar. Admins
// edit them (Eid dates follow the moon sighting: the seeded ones are approximate until an
// admin confirms them). Every change is audited in the same transaction. Another tenant's
// holiday id answers 404.
import { Type } from '@sinclair/typebox';
import type { Request } from 'express';
import {
  SendPolicySchema,
  defaultSaudiHolidays,
  formatHijriDate,
  sendPolicyProblems,
  validateHolidayDates,
  type SendPolicy,
} from '../../engine/index.js';
import { policyFromSettings, type SendPolicyRepository, type HolidayInput, type HolidayRecord } from '../../db/send-policy-repository.js';
import { invalidRequest, notFound } from '../api-error.js';
import type { AppContext } from '../app-context.js';
import { actorOf, type Auth } from '../auth/auth-context.js';
import { route, type RouteSpec } from '../http/route.js';
import { IdParams } from '../schemas/common.js';


const Name = Type.Object(
  {
    ar: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Arabic name' }),
    en: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'English name' }),
  },
  { additionalProperties: false },
);

const HolidayBody = Type.Object(
  {
    from: Type.String({ format: 'date', description: 'first closed day, YYYY-MM-DD (local date in the policy’s time zone)' }),
    to: Type.Optional(Type.String({ format: 'date', description: 'last closed day, inclusive (default: from); at most 62 days' })),
    name: Name,
    approximate: Type.Optional(Type.Boolean({ default: false, description: 'the date is an estimate (moon sighting) still to be confirmed' })),
  },
  { additionalProperties: false },
);

const Localized = Type.Object({ ar: Type.String(), en: Type.String() }, { additionalProperties: false });

const HolidayView = Type.Object(
  {
    id: Type.String(),
    from: Type.String({ description: 'YYYY-MM-DD' }),
    to: Type.String({ description: 'YYYY-MM-DD, inclusive' }),
    days: Type.Integer({ minimum: 1 }),
    name: Localized,
    approximate: Type.Boolean(),
    hijri: Type.Object({ from: Localized, to: Localized }, { additionalProperties: false, description: 'the dates in the Umm al-Qura calendar' }),
    createdBy: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const PolicyView = Type.Object({ policy: SendPolicySchema }, { additionalProperties: false });

const DefaultsBody = Type.Object(
  { year: Type.Integer({ minimum: 2000, maximum: 2100, description: 'Gregorian year whose Saudi public holidays to add' }) },
  { additionalProperties: false },
);

function requestIdOf(req: Request): string | null {
  const id = (req as { id?: unknown }).id;
  return id === undefined || id === null ? null : String(id);
}

const hijriOf = (date: string) => ({ ar: formatHijriDate(date, 'ar'), en: formatHijriDate(date, 'en') });

function view(h: HolidayRecord) {
  const days = Math.round((Date.parse(`${h.to}T00:00:00Z`) - Date.parse(`${h.from}T00:00:00Z`)) / 86_400_000) + 1;
  return { ...h, days, hijri: { from: hijriOf(h.from), to: hijriOf(h.to) } };
}

function holidayInput(body: { from: string; to?: string; name: { ar: string; en: string }; approximate?: boolean }): HolidayInput {
  const to = body.to ?? body.from;
  const problems = validateHolidayDates(body.from, to, '/body');
  if (problems.length) throw invalidRequest(problems);
  return { from: body.from, to, name: { ar: body.name.ar.trim(), en: body.name.en.trim() }, approximate: body.approximate ?? false };
}

export function sendPolicyRoutes(ctx: AppContext): RouteSpec[] {
  const repo = (auth: Auth) => ctx.sendPolicies(auth.tenant.id);
  const audit = (auth: Auth, req: Request, action: string, target: string | null, details: unknown) => ({ actor: actorOf(auth), action, target, details, requestId: requestIdOf(req) });

  return [
    route({
      method: 'get',
      path: '/send-policy',
      summary: 'The send policy (business days and hours, channel hour bounds, daily caps) and the holidays, with Hijri dates',
      tag: 'send-policy',
      access: 'sendpolicy.read',
      response: Type.Object({ policy: SendPolicySchema, holidays: Type.Array(HolidayView) }, { additionalProperties: false }),
      async handler({ auth }) {
        const r = repo(auth);
        const [policy, holidays] = await Promise.all([r.policy(), r.holidays()]);
        return { policy, holidays: holidays.map(view) };
      },
    }),
    route({
      method: 'put',
      path: '/send-policy',
      summary: 'Replace the send policy (omitted parts take their defaults: Asia/Riyadh, Sun–Thu 09:00–18:00, SMS 09:00–21:00, Saudi caps)',
      tag: 'send-policy',
      access: 'sendpolicy.manage',
      body: SendPolicySchema,
      response: PolicyView,
      errors: { 400: 'invalid policy: unknown time zone, an empty hour range, or a channel that could never send' },
      async handler({ body, auth, req }) {
        // The router filled in every default: the body is a complete policy.
        const policy = body as SendPolicy;
        const problems = sendPolicyProblems(policy, '/body');
        if (problems.length) throw invalidRequest(problems);
        const r = repo(auth);
        const before = await r.policy();
        let settings: Awaited<ReturnType<SendPolicyRepository['savePolicy']>> = null;
        await ctx.db.sql.transaction(async (q) => {
          settings = await r.savePolicy(policy, q);
          if (!settings) throw notFound('tenant');
          await ctx.audit(auth.tenant.id).record(audit(auth, req, 'sendpolicy.update', null, { before, after: policy }), q);
        });
        if (settings) ctx.tenantSettings.set(auth.tenant.id, settings);
        return { policy: policyFromSettings(settings ?? undefined) };
      },
    }),
    route({
      method: 'post',
      path: '/send-policy/holidays',
      summary: 'Add a holiday: a day or a range of days on which sends that respect business hours wait',
      tag: 'send-policy',
      access: 'sendpolicy.manage',
      body: HolidayBody,
      status: 201,
      response: HolidayView,
      errors: { 400: 'not a calendar date, to before from, or longer than 62 days' },
      async handler({ body, auth, req }) {
        const input = holidayInput(body);
        let created: HolidayRecord | undefined;
        await ctx.db.sql.transaction(async (q) => {
          created = await repo(auth).createHoliday(input, actorOf(auth), q);
          await ctx.audit(auth.tenant.id).record(audit(auth, req, 'sendpolicy.holiday.create', `holiday:${created.id}`, input), q);
        });
        return view(created!);
      },
    }),
    route({
      method: 'post',
      path: '/send-policy/holidays/defaults',
      summary: 'Add the Saudi public holidays of a year: Founding Day, National Day, and both Eids (approximate, from the Umm al-Qura calendar) — those already there are skipped',
      tag: 'send-policy',
      access: 'sendpolicy.manage',
      body: DefaultsBody,
      status: 201,
      response: Type.Object({ created: Type.Array(HolidayView), skipped: Type.Integer({ minimum: 0, description: 'already present (same English name within 5 days)' }) }, { additionalProperties: false }),
      async handler({ body, auth, req }) {
        const r = repo(auth);
        const created: HolidayRecord[] = [];
        let skipped = 0;
        await ctx.db.sql.transaction(async (q) => {
          const existing = await r.holidays({}, q);
          for (const h of defaultSaudiHolidays(body.year)) {
            const near = existing.some((e) => e.name.en === h.name.en && Math.abs(Date.parse(e.from) - Date.parse(h.from)) <= 5 * 86_400_000);
            if (near) {
              skipped++;
              continue;
            }
            created.push(await r.createHoliday({ from: h.from, to: h.to, name: h.name, approximate: h.approximate }, actorOf(auth), q));
          }
          if (created.length) {
            await ctx.audit(auth.tenant.id).record(audit(auth, req, 'sendpolicy.holiday.defaults', null, { year: body.year, created: created.map((h) => ({ id: h.id, from: h.from, to: h.to, name: h.name.en })) }), q);
          }
        });
        return { created: created.map(view), skipped };
      },
    }),
    route({
      method: 'put',
      path: '/send-policy/holidays/:id',
      summary: 'Change a holiday’s dates or names (e.g. an Eid moved by the moon sighting; send approximate: false to confirm it)',
      tag: 'send-policy',
      access: 'sendpolicy.manage',
      params: IdParams,
      body: HolidayBody,
      response: HolidayView,
      errors: { 400: 'not a calendar date, to before from, or longer than 62 days', 404: 'no such holiday in this tenant' },
      async handler({ params, body, auth, req }) {
        const input = holidayInput(body);
        let after: HolidayRecord | undefined;
        await ctx.db.sql.transaction(async (q) => {
          const changed = await repo(auth).updateHoliday(params.id, input, q);
          if (!changed) throw notFound('holiday');
          after = changed.after;
          const { from, to, name, approximate } = changed.before;
          await ctx.audit(auth.tenant.id).record(audit(auth, req, 'sendpolicy.holiday.update', `holiday:${params.id}`, { before: { from, to, name, approximate }, after: input }), q);
        });
        return view(after!);
      },
    }),
    route({
      method: 'delete',
      path: '/send-policy/holidays/:id',
      summary: 'Remove a holiday',
      tag: 'send-policy',
      access: 'sendpolicy.manage',
      params: IdParams,
      status: 204,
      response: Type.Null({ description: 'no body' }),
      errors: { 404: 'no such holiday in this tenant' },
      async handler({ params, auth, req }) {
        await ctx.db.sql.transaction(async (q) => {
          const removed = await repo(auth).deleteHoliday(params.id, q);
          if (!removed) throw notFound('holiday');
          await ctx.audit(auth.tenant.id).record(audit(auth, req, 'sendpolicy.holiday.delete', `holiday:${params.id}`, { from: removed.from, to: removed.to, name: removed.name }), q);
        });
        return undefined;
      },
    }),
  ];
}
