// The compliance property of docs/architecture.md ("no send without consent"), over random flows and
// random consent histories, on the embedded runtime wired exactly as the server wires it
// (createContext: runtime → ctx.send() → OutboxService → provider registry), with the sandbox
// replaced by a provider that records every message it receives.
//
// Flows: webhook → (consent.check | logic.if | nothing) → 1–3 send.* nodes with random channels
// and purposes, `blocked` wired or not, contact from the execution's subject or a param.
// Contacts: random phone/email, a recent inbound message or not, and per channel × purpose a
// history built through ConsentRepository (none, granted, expired, withdrawn, re-granted).
// Asserted: no message reaches the provider unless the model says the consent was valid for
// exactly that contact, channel and purpose, and went to that contact's own address; every
// blocked message has its blocked_send consent event.
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createContext, type AppContext } from '../../server/app-context.js';
import { loadConfig } from '../../server/config.js';
import { TenantRepository } from '../../db/index.js';
import { OutboxRepository } from '../../db/outbox-repository.js';
import type { Contact } from '../../db/contacts/index.js';
import { flow } from '../helpers/runtime-harness.js';
import { ALWAYS_OPEN, RecordingProvider, contact, grant, withdraw } from './outbox-fixtures.js';

const DAY = 86_400_000;
const SEND_CHANNELS = ['whatsapp', 'sms', 'email'] as const;
const PURPOSES = ['marketing', 'service', 'transactional'] as const;
type SendChannel = (typeof SEND_CHANNELS)[number];
type Purpose = (typeof PURPOSES)[number];
type History = 'none' | 'granted' | 'expired' | 'withdrawn' | 'regranted';
const KEYS = SEND_CHANNELS.flatMap((c) => PURPOSES.map((p) => `${c}:${p}`));

/** Valid now according to the model: the last change is a grant younger than 12 months. */
const validIn = (h: History): boolean => h === 'granted' || h === 'regranted';

const channelArb = fc.constantFrom(...SEND_CHANNELS);
const purposeArb = fc.constantFrom(...PURPOSES);
const sendArb = fc.record({ channel: channelArb, purpose: purposeArb, wireBlocked: fc.boolean(), contactFromParam: fc.boolean(), template: fc.boolean() });
const gateArb = fc.oneof(
  fc.record({ kind: fc.constant('none' as const) }),
  fc.record({ kind: fc.constant('consent' as const), channel: fc.constantFrom('whatsapp', 'sms', 'email', 'call'), purpose: purposeArb }),
  fc.record({ kind: fc.constant('if' as const) }),
);
const historyArb = fc.record(Object.fromEntries(KEYS.map((k) => [k, fc.constantFrom<History>('none', 'none', 'granted', 'expired', 'withdrawn', 'regranted')])) as Record<string, fc.Arbitrary<History>>);
const contactArb = fc.record({ phone: fc.boolean(), email: fc.boolean(), recentInbound: fc.boolean(), flag: fc.boolean(), history: historyArb });
const caseArb = fc.record({ gate: gateArb, sends: fc.array(sendArb, { minLength: 1, maxLength: 3 }), contacts: fc.array(contactArb, { minLength: 1, maxLength: 3 }) });

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function buildFlow(c: Case, n: number): unknown {
  const nodes: { id: string; type: string; params?: Record<string, unknown> }[] = [{ id: 'hook', type: 'trigger.webhook', params: { path: `prop-${n}` } }];
  const edges: [string, string, string][] = [];
  let from: [string, string] = ['hook', 'out'];
  if (c.gate.kind === 'consent') {
    nodes.push({ id: 'gate', type: 'consent.check', params: { channel: c.gate.channel, purpose: c.gate.purpose } });
    edges.push(['hook', 'out', 'gate']);
    from = ['gate', 'granted'];
  } else if (c.gate.kind === 'if') {
    nodes.push({ id: 'gate', type: 'logic.if', params: { condition: '=$trigger.body.flag' } });
    edges.push(['hook', 'out', 'gate']);
    from = ['gate', 'true'];
  }
  c.sends.forEach((s, i) => {
    const id = `s${i + 1}`;
    const common = { purpose: s.purpose, ...(s.contactFromParam ? { contactId: '=$trigger.body.contactId' } : {}) };
    const params =
      s.channel === 'whatsapp'
        ? { ...common, ...(s.template ? { template: { name: 'welcome', language: 'ar', variables: { name: '=$trigger.body.name' } } } : { text: '="مرحبا " & $trigger.body.name' }) }
        : s.channel === 'sms'
          ? { ...common, text: 'تذكير بموعدك' }
          : { ...common, subject: 'عرض خاص', text: 'نص الرسالة' };
    nodes.push({ id, type: `send.${s.channel}`, params });
    edges.push([from[0], from[1], id]);
    const prev = c.sends[i - 1];
    if (i > 0 && prev?.wireBlocked) edges.push([`s${i}`, 'blocked', id]);
    from = [id, 'sent'];
  });
  const last = c.sends.at(-1)!;
  if (last.wireBlocked) {
    nodes.push({ id: 'end', type: 'data.set', params: { fields: { done: true } } });
    edges.push([`s${c.sends.length}`, 'blocked', 'end']);
  }
  return flow(nodes, edges);
}

describe('outbox property: no message without valid consent (embedded runtime, random flows and histories)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let ctx: AppContext;
  let tenantId: string;
  let recorder: RecordingProvider;
  const totals = { executions: 0, sent: 0, blocked: 0 };

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-outbox-prop-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    recorder = new RecordingProvider();
    ctx.outbox.providers.register(recorder, { rate: {}, account: () => 'sandbox' });
    tenantId = (await new TenantRepository(ctx.db).ensure('prop', 'Property tenant', { sendPolicy: ALWAYS_OPEN } as never)).id;
    await ctx.runtime.start();
  });
  after(async () => {
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('holds over 25 random cases', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        n++;
        const now = Date.now();
        const published = await ctx.flows(tenantId).publish(buildFlow(c, n));
        const people: { contact: Contact; history: Record<string, History> }[] = [];
        for (const spec of c.contacts) {
          const person = await contact(ctx.db, tenantId, {
            phone: spec.phone ? undefined : null,
            email: spec.email || !spec.phone ? undefined : null,
            lastInboundAt: spec.recentInbound ? now - 3_600_000 : now - 3 * DAY,
          });
          for (const key of KEYS) {
            const [channel, purpose] = key.split(':') as [SendChannel, Purpose];
            const h = spec.history[key]!;
            if (h === 'granted') await grant(ctx.db, tenantId, person.id, channel, purpose, now - 10 * DAY);
            if (h === 'expired') await grant(ctx.db, tenantId, person.id, channel, purpose, now - 400 * DAY);
            if (h === 'withdrawn' || h === 'regranted') {
              await grant(ctx.db, tenantId, person.id, channel, purpose, now - 30 * DAY);
              await withdraw(ctx.db, tenantId, person.id, channel, purpose, now - 20 * DAY);
            }
            if (h === 'regranted') await grant(ctx.db, tenantId, person.id, channel, purpose, now - 5 * DAY);
          }
          people.push({ contact: person, history: spec.history });
        }
        const before = recorder.received.length;
        const executions = await Promise.all(
          c.contacts.map(async (spec, i) => {
            const { executionId } = await ctx.runtime.startExecution({
              tenantId,
              flowId: published.flowId,
              flowVersion: published.version,
              flow: published.flow,
              trigger: 'hook',
              payload: { body: { contactId: people[i]!.contact.id, name: 'سارة', flag: spec.flag } },
              mode: 'manual',
              subject: people[i]!.contact.id,
              durable: true,
            });
            const result = await ctx.runtime.result(executionId, true);
            expect(['succeeded', 'failed'], JSON.stringify(result.error)).to.include(result.status);
            return executionId;
          }),
        );
        totals.executions += executions.length;
        const repo = new OutboxRepository(ctx.db, tenantId);
        const rows = (await Promise.all(executions.map((id) => repo.list({ executionId: id, limit: 100 })))).flat();
        const byId = new Map(rows.map((r) => [r.id, r]));
        // 1. Nothing reached the provider without valid consent, or at another address.
        for (const { message } of recorder.received.slice(before)) {
          const row = byId.get(message.referenceId);
          expect(row, `provider got a message the outbox does not know: ${message.referenceId}`).to.not.equal(undefined);
          const person = people.find((p) => p.contact.id === row!.contactId)!;
          expect(person, 'message for a contact of this case').to.not.equal(undefined);
          const key = `${row!.channel}:${row!.purpose}`;
          expect(validIn(person.history[key]!), `sent ${key} to a contact whose history is ${person.history[key]}`).to.equal(true);
          expect(message.channel).to.equal(row!.channel);
          expect(message.to).to.equal(row!.channel === 'email' ? person.contact.email : person.contact.phone);
          totals.sent++;
        }
        // Each sent row reached the provider exactly once.
        for (const r of rows.filter((x) => x.status === 'sent')) expect(recorder.count(r.id), r.id).to.equal(1);
        // 2. Every blocked send is in the consent trail.
        for (const r of rows.filter((x) => x.status === 'blocked')) {
          const events = await ctx.consents(tenantId).events(r.contactId, {});
          const audited = events.filter((e) => e.type === 'blocked_send' && (e.details as { messageId?: string }).messageId === r.id);
          expect(audited, `blocked message ${r.id} (${r.blockedReason}) has one blocked_send event`).to.have.length(1);
          expect(audited[0]).to.deep.include({ channel: r.channel, purpose: r.purpose });
          totals.blocked++;
        }
        // No row is left half-way (pending, sending) by a finished execution.
        for (const r of rows) expect(['sent', 'blocked', 'failed'], `${r.id} ${r.status}`).to.include(r.status);
      }),
      { numRuns: 25, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
    );
    // The generator exercised both sides of the property.
    expect(totals.sent, 'some messages were sent').to.be.greaterThan(0);
    expect(totals.blocked, 'some messages were blocked').to.be.greaterThan(0);
  });
});
