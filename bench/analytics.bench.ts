// `npm run bench -- analytics [--db sqlite|postgres|both] [--runs 200]`: the step-analytics
// answer (GET /flows/:id/analytics's work: the rollup query and the report) for a flow with
// 100,000 enrollments and 500,000 messages, on SQLite and PostgreSQL. The raw rows
// (analytics_sends, one per message) and the daily rollup are seeded in bulk from the same
// synthetic events — the rollup is exactly what the incremental counters would hold. Prints
// p50/p95/max per query; the target is p95 < 200 ms.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase, type Database } from '../db/database.js';
import { riyadhDay, replyBucket } from '../db/analytics-repository.js';
import { AnalyticsService } from '../server/analytics/analytics-service.js';
import type { Flow } from '../engine/index.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ENROLLMENTS = 100_000;
const MESSAGES = 500_000;
const DAYS = 90;
const TENANT = 'bench-tenant';
const FLOW = 'bench-flow';
const STEPS = [
  { id: 'wa1', channel: 'whatsapp', variants: ['A', 'B'] },
  { id: 'sms2', channel: 'sms', variants: ['short', 'long'] },
  { id: 'wa3', channel: 'whatsapp', variants: [''] },
  { id: 'email4', channel: 'email', variants: ['', ''] },
  { id: 'wa5', channel: 'whatsapp', variants: [''] },
] as const;
const DAY_MS = 86_400_000;

const definition: Flow = {
  schemaVersion: 1,
  name: 'bench',
  nodes: [{ id: 'start', type: 'trigger.manual' }, ...STEPS.map((s) => ({ id: s.id, type: s.channel === 'email' ? 'send.email' : s.channel === 'sms' ? 'send.sms' : 'send.whatsapp' }))],
  edges: [],
} as Flow;

/** A tiny deterministic PRNG (mulberry32): the same data on both databases. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seeded {
  enrolled: number;
  sends: unknown[][];
  rollup: Map<string, number>;
}

function generate(now: number): Seeded {
  const rnd = prng(18);
  const sends: unknown[][] = [];
  const rollup = new Map<string, number>();
  const bump = (version: number, node: string, variant: string, channel: string, at: number, metric: string, dim = '') => {
    const key = [version, node, variant, channel, riyadhDay(at), metric, dim].join('\u0001');
    rollup.set(key, (rollup.get(key) ?? 0) + 1);
  };
  const start = now - DAYS * DAY_MS;
  let enrolled = 0;
  for (let e = 0; e < ENROLLMENTS; e++) {
    enrolled++;
    const version = e < ENROLLMENTS * 0.4 ? 1 : 2;
    const enrolledAt = start + Math.floor((e / ENROLLMENTS) * (DAYS - 5) * DAY_MS);
    bump(version, '', '', '', enrolledAt, 'enrolled');
    let at = enrolledAt;
    for (let s = 0; s < STEPS.length; s++) {
      const step = STEPS[s]!;
      const messageId = `m${e}-${s}`;
      const variant = step.variants[Math.floor(rnd() * step.variants.length)]!;
      at += Math.floor(rnd() * DAY_MS);
      const row: Record<string, number | string | null> = { reached_at: at, blocked_at: null, failed_at: null, sent_at: null, delivered_at: null, read_at: null, replied_at: null, opted_out_at: null, escalated_at: null, converted_at: null };
      bump(version, step.id, variant, step.channel, at, 'reached');
      const r = rnd();
      let stop = false;
      if (r < 0.05) {
        row.blocked_at = at;
        bump(version, step.id, variant, step.channel, at, 'blocked', r < 0.03 ? 'missing' : r < 0.045 ? 'withdrawn' : 'no_address');
        stop = true;
      } else if (r < 0.07) {
        row.failed_at = at;
        bump(version, step.id, variant, step.channel, at, 'failed', 'rejected');
        stop = true;
      } else {
        row.sent_at = at;
        bump(version, step.id, variant, step.channel, at, 'sent');
        if (rnd() < 0.85) {
          row.delivered_at = at + 5000;
          bump(version, step.id, variant, step.channel, at + 5000, 'delivered');
          if (rnd() < 0.6) {
            row.read_at = at + 60_000;
            bump(version, step.id, variant, step.channel, at + 60_000, 'read');
          }
        }
        const reply = rnd();
        if (reply < 0.08 + (variant === 'B' ? 0.03 : 0)) {
          const after = Math.floor(60_000 * Math.exp(rnd() * 8));
          row.replied_at = at + after;
          bump(version, step.id, variant, step.channel, at + after, 'replied', reply < 0.04 ? 'interested' : '');
          bump(version, step.id, variant, step.channel, at + after, 'reply_time', String(replyBucket(after)));
          stop = true;
          if (rnd() < 0.2) {
            row.converted_at = at + after + 3_600_000;
            bump(version, step.id, variant, step.channel, at + after + 3_600_000, 'converted');
          }
          if (rnd() < 0.1) {
            row.escalated_at = at + after + 60_000;
            bump(version, step.id, variant, step.channel, at + after + 60_000, 'escalated');
          }
        } else if (reply < 0.1) {
          row.opted_out_at = at + 1000;
          bump(version, step.id, variant, step.channel, at + 1000, 'opted_out');
          stop = true;
        }
      }
      sends.push([TENANT, messageId, FLOW, version, step.id, variant, step.channel, `c${e}`, `x${e}`, row.reached_at, row.blocked_at, row.failed_at, row.sent_at, row.delivered_at, row.read_at, row.replied_at, row.opted_out_at, row.escalated_at, row.converted_at]);
      if (sends.length >= MESSAGES) return { enrolled, sends, rollup };
      if (stop) break;
    }
  }
  // Fewer than 500,000 after the stops: top up with later steps' re-sends of the last contacts (re-entries).
  let extra = 0;
  while (sends.length < MESSAGES) {
    const e = extra++ % ENROLLMENTS;
    const step = STEPS[extra % STEPS.length]!;
    const at = start + Math.floor(rnd() * DAYS * DAY_MS);
    bump(2, step.id, step.variants[0]!, step.channel, at, 'reached');
    bump(2, step.id, step.variants[0]!, step.channel, at, 'sent');
    sends.push([TENANT, `r${extra}`, FLOW, 2, step.id, step.variants[0]!, step.channel, `c${e}`, `y${extra}`, at, null, null, at, null, null, null, null, null, null]);
  }
  return { enrolled, sends, rollup };
}

const SEND_COLUMNS = 'tenant_id, message_id, flow_id, flow_version, node_id, variant, channel, contact_id, execution_id, reached_at, blocked_at, failed_at, sent_at, delivered_at, read_at, replied_at, opted_out_at, escalated_at, converted_at';

async function insertBulk(db: Database, table: string, columns: string, rows: unknown[][], chunk: number): Promise<void> {
  const width = rows[0]!.length;
  await db.sql.transaction(async (q) => {
    for (let i = 0; i < rows.length; i += chunk) {
      const part = rows.slice(i, i + chunk);
      const values = part.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ');
      await q(`INSERT INTO ${table} (${columns}) VALUES ${values}`, part.flat());
    }
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(label: string, runs: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  for (let i = 0; i < 5; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const answer = await fn();
    JSON.stringify(answer);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const r = { p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1)! };
  process.stdout.write(`  ${label.padEnd(44)} p50 ${r.p50.toFixed(1).padStart(7)} ms   p95 ${r.p95.toFixed(1).padStart(7)} ms   max ${r.max.toFixed(1).padStart(7)} ms\n`);
  return r;
}

async function benchOne(dialect: 'sqlite' | 'postgres', data: Seeded, runs: number, now: number): Promise<boolean> {
  let dataDir: string | null = null;
  let dropPg: (() => Promise<void>) | null = null;
  let url: string | undefined;
  if (dialect === 'sqlite') dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-abench-'));
  else {
    const name = `tadfuq_abench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(ADMIN_URL);
    u.pathname = `/${name}`;
    url = u.toString();
    dropPg = async () => {
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    };
  }
  const db = await openDatabase({ databaseUrl: url, dataDir: dataDir ?? os.tmpdir() });
  try {
    const t0 = performance.now();
    await insertBulk(db, 'analytics_sends', SEND_COLUMNS, data.sends, 1000);
    const rollupRows = [...data.rollup.entries()].map(([k, n]) => {
      const [version, node, variant, channel, day, metric, dim] = k.split('\u0001');
      return [TENANT, FLOW, Number(version), node, variant, channel, day, metric, dim, n];
    });
    await insertBulk(db, 'analytics_daily', 'tenant_id, flow_id, flow_version, node_id, variant, channel, day, metric, dim, n', rollupRows, 1000);
    if (dialect === 'postgres') await db.sql.query('ANALYZE');
    else await db.sql.query('ANALYZE');
    process.stdout.write(`${dialect}: seeded ${data.sends.length.toLocaleString('en')} message rows and ${rollupRows.length.toLocaleString('en')} rollup counters in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const service = new AnalyticsService(db);
    const to = riyadhDay(now);
    const from90 = riyadhDay(now - (DAYS - 1) * DAY_MS);
    const results = [
      await measure('last 30 days (default), all versions', runs, () => service.report(TENANT, FLOW, {}, definition, now)),
      await measure(`all ${DAYS} days, all versions`, runs, () => service.report(TENANT, FLOW, { from: from90, to }, definition, now)),
      await measure(`all ${DAYS} days, version 2, variant B`, runs, () => service.report(TENANT, FLOW, { from: from90, to, version: 2, variant: 'B' }, definition, now)),
    ];
    // The CSV export (every counter row of the range) is measured, not held to the target.
    await measure(`CSV rows, all ${DAYS} days (export, not the answer)`, Math.max(10, Math.floor(runs / 5)), () => service.rows(TENANT, FLOW, { from: from90, to }, now));
    // Every event, including the last days' replies dated after today.
    const full = await service.report(TENANT, FLOW, { from: riyadhDay(now - (DAYS + 1) * DAY_MS), to: riyadhDay(now + 30 * DAY_MS) }, definition, now);
    const sent = full.steps.reduce((n, s) => n + s.counts.sent, 0);
    const rawSent = Number((await db.sql.query(`SELECT COUNT(*) AS n FROM analytics_sends WHERE tenant_id = $1 AND sent_at IS NOT NULL`, [TENANT]))[0]!.n);
    process.stdout.write(`  check: enrolled ${full.enrolled.toLocaleString('en')}, sent ${sent.toLocaleString('en')} (raw rows with sent_at: ${rawSent.toLocaleString('en')})\n`);
    const ok = results.every((r) => r.p95 < 200) && sent === rawSent && full.enrolled === data.enrolled;
    process.stdout.write(`  ${ok ? 'PASS' : 'FAIL'}: p95 < 200 ms on ${dialect}\n`);
    return ok;
  } finally {
    await db.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (dropPg) await dropPg();
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { db: { type: 'string', default: 'both' }, runs: { type: 'string', default: '200' } } });
  const runs = Number(values.runs);
  const now = Date.now();
  const t0 = performance.now();
  const data = generate(now);
  process.stdout.write(`generated ${data.enrolled.toLocaleString('en')} enrollments, ${data.sends.length.toLocaleString('en')} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const dialects = values.db === 'both' ? (['sqlite', 'postgres'] as const) : ([values.db as 'sqlite' | 'postgres'] as const);
  let ok = true;
  for (const d of dialects) ok = (await benchOne(d, data, runs, now)) && ok;
  if (!ok) process.exitCode = 1;
}
