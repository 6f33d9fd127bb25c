// The erasure sweep: every column of every table that can hold a person's data, searched for
// an erased contact's identifiers (personal-data.ts) and scrubbed in place. Rows stay (ids,
// statuses, times, counts), only the matching values become `replace(value)` (a keyed hash).
//
// The rows known to be the contact's are redacted wholesale by their owners first (outbox,
// inbound messages, executions by subject, escalations…: subject-data.ts); this sweep catches
// what those miss — the phone inside provider message ids and callback keys, consent evidence,
// executions started by a webhook whose payload carried the phone, audit details, another
// record's free text naming the person. Tables that cannot hold contact data are listed in
// NO_CONTACT_DATA_TABLES; a test keeps the two lists equal to the schema, so a new table has to
// be placed in one of them.
import type { Database } from '../database.js';
import type { Query, Row } from '../sql-executor.js';
import { SQL_SEPARATORS, holdsPersonalData, scrubColumn, type PersonalDataMatcher } from './personal-data.js';

export interface SweepTable {
  table: string;
  /** The columns naming a row (with tenant_id). */
  key: readonly string[];
  /** Plain text columns: replaced whole when they match. */
  text?: readonly string[];
  /** JSON text columns: walked, matching strings replaced. */
  json?: readonly string[];
  /** Extra condition (SQL with `$contact` for the contact id): rows outside it are left alone. */
  scope?: string;
  /** Extra SET clause on every scrubbed row. */
  bump?: string;
  /** JSON keys whose values are replaced whatever they hold (`ip`, `userAgent`): the prefilter is skipped, every row in scope is walked. */
  alwaysKeys?: readonly string[];
}

const TERMINAL = "('succeeded', 'failed', 'cancelled')";
/** Consent evidence that identifies the person whatever it says: the device and the network address. */
const EVIDENCE_KEYS = ['ip', 'userAgent', 'from', 'phone', 'email', 'name'];

/** Where personal data can be, by table. */
export const SWEEP_TABLES: readonly SweepTable[] = [
  // Other contacts' free fields (a referral, a note); never their name, phone or email.
  { table: 'contacts', key: ['id'], text: ['company', 'source'], json: ['attributes', 'tags'] },
  { table: 'consents', key: ['id'], text: ['source'], json: ['evidence'], scope: 'contact_id = $contact', alwaysKeys: EVIDENCE_KEYS },
  // The trail is append-only except this: an erased contact's own events lose the values that
  // identify the person (migration 015 lets exactly that through); type, channel, purpose, time stay.
  { table: 'consent_events', key: ['id'], text: ['actor', 'source'], json: ['evidence', 'details'], scope: 'contact_id = $contact', alwaysKeys: EVIDENCE_KEYS },
  // Running executions are cancelled first; one still running is left for the next erase.
  { table: 'executions', key: ['id'], json: ['state', 'output', 'error'], scope: `status IN ${TERMINAL}`, bump: 'rev = rev + 1' },
  {
    table: 'execution_steps',
    key: ['id'],
    json: ['input', 'output', 'error', 'logs'],
    scope: `execution_id IN (SELECT id FROM executions x WHERE x.tenant_id = execution_steps.tenant_id AND x.status IN ${TERMINAL})`,
  },
  { table: 'waits', key: ['id'], text: ['event', 'correlation'] },
  {
    table: 'outbound_messages',
    key: ['id'],
    text: ['to_address', 'provider_message_id', 'text', 'subject', 'html', 'blocked_reason'],
    json: ['template', 'error', 'resolution'],
  },
  { table: 'inbound_messages', key: ['id'], text: ['from_address', 'to_address', 'body', 'provider_message_id', 'opt_out'] },
  { table: 'provider_events', key: ['provider', 'event_key'], text: ['event_key'] },
  { table: 'audit_log', key: ['id'], text: ['target'], json: ['details'] },
  { table: 'domain_events', key: ['pk'], text: ['id', 'subject'], json: ['data', 'started'] },
  { table: 'escalations', key: ['id'], text: ['reason', 'decision_note'], json: ['payload', 'edits'] },
  { table: 'notifications', key: ['id'], text: ['title_ar', 'title_en', 'body', 'link'] },
  { table: 'enrollments', key: ['id'], text: ['current_node', 'end_reason'], json: ['resume_plan'] },
  { table: 'deals', key: ['id'], text: ['company', 'title'] },
  { table: 'meetings', key: ['id'], text: ['title', 'location', 'notes'] },
  { table: 'llm_usage', key: ['id'], text: ['task'] },
  // A flow's sample input is often a real lead pasted from a webhook.
  { table: 'flows', key: ['id'], json: ['sample_input'] },
  // Stored files (proposal PDFs): the bytes of the contact's own are dropped by DocumentRepository.eraseContact
  // (the sweep cannot read inside a PDF); a file name may still name the person.
  { table: 'documents', key: ['id'], text: ['filename'] },
];

/**
 * Tables that hold no contact data: members and their sign-in, keys and secrets (encrypted),
 * flow definitions and their routes, policies, counters, the migration ledger, and the
 * enrollment history (state codes and ids only, append-only).
 */
export const NO_CONTACT_DATA_TABLES: readonly string[] = [
  'tenants',
  'users',
  'memberships',
  'refresh_tokens',
  'api_keys',
  'invitations',
  'credentials',
  'flow_versions',
  'webhook_routes',
  'publish_requests',
  'webhook_idempotency',
  'send_holidays',
  'escalation_rotation',
  'enrollment_history',
  'schema_migrations',
  // Per sender (channel and credential name) and day: message counts, no recipient.
  'sender_usage',
  // Step analytics: counters, and per message ids, times and classes (no phone, email or name).
  'analytics_daily',
  'analytics_sends',
  // Payments reported by webhooks: provider ids, amounts in halalas, statuses, the deal id.
  'payments',
  // WhatsApp Cloud API: which tenant owns a phone number id; the tenant's message templates.
  'whatsapp_numbers',
  'whatsapp_templates',
];

const BATCH = 200;

/** `REPLACE(REPLACE(…col…))`: the column with phone separators removed (both dialects). */
function stripped(column: string): string {
  let sql = `CAST(${column} AS TEXT)`;
  for (const sep of SQL_SEPARATORS) sql = `REPLACE(${sql}, '${sep}', '')`;
  return sql;
}

/** The SQL condition "one of `columns` may hold the person" (null: nothing to look for). */
function prefilter(columns: readonly string[], matcher: PersonalDataMatcher, arg: (v: unknown) => string): string | null {
  const tests: string[] = [];
  const { digits, lower } = matcher.likePatterns;
  for (const c of columns) {
    for (const d of digits) tests.push(`${stripped(c)} LIKE ${arg(d)} ESCAPE '\\'`);
    for (const l of lower) tests.push(`LOWER(CAST(${c} AS TEXT)) LIKE ${arg(l)} ESCAPE '\\'`);
  }
  return tests.length ? `(${tests.join(' OR ')})` : null;
}

/**
 * Unfinished executions of the tenant whose state or steps hold the person (a webhook run
 * whose payload carried the phone, whatever its subject): the erasure cancels them before the
 * sweep, so none goes on processing (or messaging) an erased person.
 */
export async function unfinishedExecutionsHolding(db: Database, tenantId: string, matcher: PersonalDataMatcher): Promise<string[]> {
  if (matcher.empty) return [];
  const ids = new Set<string>();
  for (const [from, columns] of [
    ['executions e', ['e.state', 'e.output', 'e.error']],
    ['execution_steps s JOIN executions e ON e.tenant_id = s.tenant_id AND e.id = s.execution_id', ['s.input', 's.output', 's.error', 's.logs']],
  ] as const) {
    const args: unknown[] = [tenantId];
    const arg = (v: unknown): string => {
      args.push(v);
      return `$${args.length}`;
    };
    const test = prefilter(columns, matcher, arg);
    const rows = await db.sql.query(`SELECT e.id AS execution_id, ${columns.map((c, i) => `${c} AS c${i}`).join(', ')} FROM ${from} WHERE e.tenant_id = $1 AND e.status NOT IN ${TERMINAL} AND ${test}`, args);
    for (const r of rows) if (columns.some((_, i) => holdsPersonalData(r[`c${i}`], matcher))) ids.add(String(r.execution_id));
  }
  return [...ids];
}

export interface SweepResult {
  /** Rows changed, by table (tables without changes left out). */
  tables: Record<string, number>;
  rows: number;
}

/**
 * Scrub every SWEEP_TABLES column of the tenant's rows (`tables`: a subset) where `matcher`
 * finds the person, replacing matches by `replace(value)`. Tables scoped to the contact's own
 * rows (its consents and consent events) use `ownMatcher` when given (the name is looked for
 * there even when another contact shares it). A SQL prefilter (LIKE on the digits with
 * separators removed, on the lower-cased email and name) picks candidate rows; the walk in
 * JavaScript decides. Batches of 200 rows per transaction. Idempotent.
 */
export async function sweepPersonalData(
  db: Database,
  tenantId: string,
  contactId: string,
  matcher: PersonalDataMatcher,
  replace: (text: string) => string,
  options: { tables?: readonly SweepTable[]; ownMatcher?: PersonalDataMatcher } = {},
): Promise<SweepResult> {
  const result: SweepResult = { tables: {}, rows: 0 };
  for (const spec of options.tables ?? SWEEP_TABLES) {
    const own = spec.scope?.includes('$contact') ?? false;
    const m = own ? (options.ownMatcher ?? matcher) : matcher;
    if (m.empty && !(own && spec.alwaysKeys?.length)) continue;
    const n = await sweepTable(db, tenantId, contactId, spec, m, replace);
    if (n) {
      result.tables[spec.table] = n;
      result.rows += n;
    }
  }
  return result;
}

async function sweepTable(db: Database, tenantId: string, contactId: string, spec: SweepTable, matcher: PersonalDataMatcher, replace: (text: string) => string): Promise<number> {
  const columns = [...(spec.text ?? []), ...(spec.json ?? [])];
  const jsonColumns = new Set(spec.json ?? []);
  const args: unknown[] = [tenantId];
  const arg = (v: unknown): string => {
    args.push(v);
    return `$${args.length}`;
  };
  const always = spec.alwaysKeys?.length ? new Set(spec.alwaysKeys) : undefined;
  const test = always ? null : prefilter(columns, matcher, arg);
  if (!test && !always) return 0;
  const where = test ? [`tenant_id = $1`, test] : [`tenant_id = $1`];
  if (spec.scope) where.push(spec.scope.includes('$contact') ? spec.scope.replaceAll('$contact', arg(contactId)) : spec.scope);
  const single = spec.key.length === 1 ? spec.key[0]! : null;
  const selectColumns = [...new Set([...spec.key, ...columns])].join(', ');
  let after: unknown = null;
  let total = 0;
  for (;;) {
    const pageArgs = single && after !== null ? [...args, after] : args;
    const page = single && after !== null ? [...where, `${single} > $${pageArgs.length}`] : where;
    const order = single ? ` ORDER BY ${single} LIMIT ${BATCH}` : '';
    const rows = await db.sql.query(`SELECT ${selectColumns} FROM ${spec.table} WHERE ${page.join(' AND ')}${order}`, pageArgs);
    const changes: { row: Row; set: Record<string, string> }[] = [];
    for (const row of rows) {
      const set: Record<string, string> = {};
      for (const c of columns) {
        const next = scrubColumn(row[c], matcher, replace, jsonColumns.has(c), always);
        if (next !== null) set[c] = next;
      }
      if (Object.keys(set).length) changes.push({ row, set });
    }
    if (changes.length) await db.sql.transaction((q) => applyChanges(q, tenantId, spec, changes));
    total += changes.length;
    if (!single || rows.length < BATCH) return total;
    after = rows.at(-1)![single];
  }
}

async function applyChanges(q: Query, tenantId: string, spec: SweepTable, changes: { row: Row; set: Record<string, string> }[]): Promise<void> {
  for (const { row, set } of changes) {
    const args: unknown[] = [tenantId];
    const sets = Object.entries(set).map(([c, v]) => {
      args.push(v);
      return `${c} = $${args.length}`;
    });
    if (spec.bump) sets.push(spec.bump);
    const keys = spec.key.map((k) => {
      args.push(row[k]);
      return `${k} = $${args.length}`;
    });
    await q(`UPDATE ${spec.table} SET ${sets.join(', ')} WHERE tenant_id = $1 AND ${keys.join(' AND ')}`, args);
  }
}
