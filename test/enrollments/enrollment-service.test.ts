// Enrollments through the service the API and the CLI use (server/enrollments/), on the
// runtime a server builds (createContext): embedded on SQLite and on PostgreSQL, and queue mode
// (an API-side producer plus a worker context on PostgreSQL and Redis). $contact is the contact's
// fields; a contact is in a flow once unless the flow allows re-entry (also under concurrent
// enrolls); an enrollment ends with its execution; pause keeps the position and resume continues
// from it without re-running earlier steps; unenroll and exits cancel the execution; the history
// outlives execution pruning and cannot be rewritten.
import { expect } from 'chai';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { createContext, type AppContext } from '../../server/app-context.js';
import { loadConfig } from '../../server/config.js';
import { EnrollmentService, exitAffects, type EnrollmentView } from '../../server/enrollments/enrollment-service.js';
import { pruneExecutions } from '../../db/execution-pruner.js';
import type { EnrollmentState } from '../../db/enrollment-repository.js';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { REDIS_URL, flushPrefix, requireRedis } from '../helpers/redis.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

type Kind = 'sqlite' | 'postgres' | 'queue';
type Body = Record<string, unknown>;

const nextPhone = (): string => `+96655${randomInt(1_000_000, 10_000_000)}`;

/** The ApiError a call rejects with (fails when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { status: number; code: string };
  }
  throw new Error('expected a refusal');
}

const withSettings = (doc: unknown, settings: Body): unknown => ({ ...(doc as Body), settings });

/** trigger → set (records which execution ran it) → delay → set. */
const sequence = (delaySeconds: number) =>
  flow(
    [
      { id: 'start', type: 'trigger.manual' },
      { id: 'first', type: 'data.set', params: { fields: { firstRanIn: '=$execution.id', greeting: '="مرحبا " & $contact.name' } } },
      { id: 'pause', type: 'time.delay', params: { seconds: delaySeconds } },
      { id: 'second', type: 'data.set', params: { fields: { secondRanIn: '=$execution.id' } } },
    ],
    [['start', 'out', 'first'], ['first', 'out', 'pause'], ['pause', 'out', 'second']],
  );

for (const kind of ['sqlite', 'postgres', 'queue'] as Kind[]) {
  describe(`enrollments service (${kind === 'queue' ? 'queue mode' : `embedded on ${kind}`})`, function () {
    this.timeout(60_000);
    let dataDir: string | undefined;
    let pgDb: TestDatabase | undefined;
    let ctx: AppContext;
    let worker: AppContext | undefined;
    let prefix: string | undefined;
    let svc: EnrollmentService;
    let tenantId: string;
    let otherTenantId: string;

    before(async function () {
      let env: Record<string, string>;
      if (kind === 'sqlite') {
        dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-enroll-'));
        env = { TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' };
      } else {
        await requirePostgres(this);
        if (kind === 'queue') await requireRedis(this);
        pgDb = await createTestDatabase('postgres');
        await pgDb.db.close();
        env = { TADFUQ_DATA_DIR: pgDb.dataDir, DATABASE_URL: pgDb.url! };
        if (kind === 'queue') {
          prefix = `tq-enr-${randomBytes(4).toString('hex')}`;
          env = { ...env, REDIS_URL, TADFUQ_QUEUE_PREFIX: prefix };
        }
      }
      ctx = await createContext(loadConfig(env), pino({ level: 'silent' }));
      await ctx.runtime.start();
      if (kind === 'queue') {
        worker = await createContext(loadConfig(env), pino({ level: 'silent' }), 'worker');
        await worker.runtime.start();
      }
      expect(ctx.contactExits).to.be.instanceOf(EnrollmentService);
      svc = ctx.contactExits as EnrollmentService;
      tenantId = (await ctx.tenants.ensure('enroll-svc', 'Enrollments')).id;
      otherTenantId = (await ctx.tenants.ensure('enroll-other', 'Other')).id;
    });

    after(async () => {
      await worker?.close();
      await ctx?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      await pgDb?.drop();
      if (prefix) await flushPrefix(prefix);
    });

    const newContact = async (name: string, t = tenantId) => ctx.contacts(t).create({ name, phone: nextPhone(), email: `${randomBytes(4).toString('hex')}@example.sa` });
    const publish = async (doc: unknown, t = tenantId): Promise<string> => (await ctx.flows(t).publish(doc)).flowId;
    const enrollOne = async (flowId: string, contactId: string) => {
      const report = await svc.enroll(tenantId, flowId, [{ contactId }], { actor: 'test' });
      expect(report.enrolled, JSON.stringify(report.skipped)).to.have.length(1);
      return report.enrolled[0]!;
    };
    const state = async (id: string): Promise<EnrollmentView> => (await svc.get(tenantId, id))!;
    const untilState = (id: string, wanted: EnrollmentState) => waitFor(async () => (await state(id)).state === wanted && state(id), 20_000);
    const execution = async (id: string) => (await ctx.executions(tenantId).get(id))!;
    const untilExecution = (id: string, statuses: string[]) => waitFor(async () => statuses.includes((await ctx.executions(tenantId).get(id))?.status ?? '') && execution(id), 20_000);
    const liveRows = async (flowId: string, contactId: string): Promise<number> => {
      const rows = await ctx.db.sql.query("SELECT COUNT(*) AS n FROM enrollments WHERE tenant_id = $1 AND flow_id = $2 AND contact_id = $3 AND state IN ('active', 'paused')", [tenantId, flowId, contactId]);
      return Number(rows[0]!.n);
    };

    it('starts the published version at trigger.manual for the contact: subject, payload {contact} and $contact', async () => {
      const flowId = await publish(sequence(0));
      const sara = await newContact('سارة');
      const item = await enrollOne(flowId, sara.id);
      const done = await untilExecution(item.executionId, ['succeeded']);
      expect(done).to.include({ subject: sara.id, mode: 'enrollment' });
      const trigger = done.steps.find((s) => s.node === 'start')!;
      expect((trigger.output as { contact: Body }).contact).to.deep.include({ id: sara.id, name: 'سارة', phone: sara.phone, email: sara.email });
      expect(done.output).to.deep.include({ greeting: 'مرحبا سارة', firstRanIn: item.executionId });
      // Ended by the runtime's hook where the execution ran (the stored row, not a read that catches up).
      await waitFor(async () => (await svc.repo(tenantId).get(item.enrollmentId))?.state === 'completed', 20_000);
      const ended = await state(item.enrollmentId);
      expect(ended).to.include({ endReason: 'execution_succeeded', currentNode: 'second', executionId: item.executionId });
      expect(ended.endedAt).to.be.a('number');
      const history = await svc.history(tenantId, item.enrollmentId);
      expect(history.map((h) => [h.fromState, h.toState, h.reason, h.actor])).to.deep.equal([
        [null, 'active', 'enrolled', 'test'],
        ['active', 'completed', 'execution_succeeded', 'system'],
      ]);
      // Once it has ended the contact may be enrolled again (re-entry is about being in it twice at once).
      await enrollOne(flowId, sara.id);
    });

    it('enrolls a contact at most once at a time: a second enroll is skipped, concurrent enrolls create one row', async () => {
      const flowId = await publish(sequence(3600));
      const noura = await newContact('نورة');
      const first = await enrollOne(flowId, noura.id);
      const again = await svc.enroll(tenantId, flowId, [{ contactId: noura.id }], { actor: 'test' });
      expect(again.enrolled).to.deep.equal([]);
      expect(again.skipped).to.deep.equal([{ contactId: noura.id, reason: 'already_enrolled', message: 'the contact is already in this flow', enrollmentId: first.enrollmentId }]);

      const reem = await newContact('ريم');
      const reports = await Promise.all(Array.from({ length: 8 }, () => svc.enroll(tenantId, flowId, [{ contactId: reem.id }], { actor: 'test' })));
      expect(reports.flatMap((r) => r.enrolled)).to.have.length(1);
      expect(reports.flatMap((r) => r.skipped).map((s) => s.reason)).to.deep.equal(Array(7).fill('already_enrolled'));
      expect(await liveRows(flowId, reem.id)).to.equal(1);
      const started = await ctx.db.sql.query('SELECT COUNT(*) AS n FROM executions WHERE tenant_id = $1 AND flow_id = $2 AND subject = $3', [tenantId, flowId, reem.id]);
      expect(Number(started[0]!.n)).to.equal(1);
    });

    it('lets a contact in twice at once when the flow allows re-entry', async () => {
      const flowId = await publish(withSettings(sequence(3600), { allowReentry: true }));
      const huda = await newContact('هدى');
      const a = await enrollOne(flowId, huda.id);
      const b = await enrollOne(flowId, huda.id);
      expect(a.enrollmentId).to.not.equal(b.enrollmentId);
      expect(await liveRows(flowId, huda.id)).to.equal(2);
      expect((await state(a.enrollmentId)).allowReentry).to.equal(true);
    });

    it('pause keeps the position; resume continues from the interrupted step without re-running the ones before it', async () => {
      const flowId = await publish(sequence(1));
      const lama = await newContact('لمى');
      const item = await enrollOne(flowId, lama.id);
      await untilExecution(item.executionId, ['waiting']);
      expect((await state(item.enrollmentId)).currentNode).to.equal('pause');

      const paused = await svc.pause(tenantId, item.enrollmentId, 'user:u1');
      expect(paused).to.include({ state: 'paused', currentNode: 'pause', executionId: item.executionId });
      expect((await execution(item.executionId)).status).to.equal('cancelled');
      // Paused stays paused: nothing fires, nothing ends it.
      expect((await refusal(svc.pause(tenantId, item.enrollmentId, 'user:u1'))).code).to.equal('enrollment_state');

      const resumed = await svc.resume(tenantId, item.enrollmentId, 'user:u1');
      expect(resumed.state).to.equal('active');
      expect(resumed.executionId).to.not.equal(item.executionId);
      const done = await untilExecution(resumed.executionId!, ['succeeded']);
      expect(done.replayOf).to.equal(item.executionId);
      // The first step's output is the original one (its $execution.id): it did not run again.
      expect(done.output).to.deep.include({ firstRanIn: item.executionId, secondRanIn: resumed.executionId, greeting: 'مرحبا لمى' });
      expect(done.steps.filter((s) => s.node === 'first')).to.have.length(1);
      const ended = await untilState(item.enrollmentId, 'completed');
      expect(ended.executionId).to.equal(resumed.executionId);
      const history = await svc.history(tenantId, item.enrollmentId);
      expect(history.map((h) => [h.fromState, h.toState, h.reason])).to.deep.equal([
        [null, 'active', 'enrolled'],
        ['active', 'paused', 'paused'],
        ['paused', 'active', 'resumed'],
        ['active', 'completed', 'execution_succeeded'],
      ]);
    });

    it('unenroll cancels the execution and ends the enrollment (cancelled, unenrolled)', async () => {
      const flowId = await publish(sequence(3600));
      const item = await enrollOne(flowId, (await newContact('فهد')).id);
      await untilExecution(item.executionId, ['waiting']);
      const ended = await svc.unenroll(tenantId, item.enrollmentId, 'user:u2');
      expect(ended).to.include({ state: 'cancelled', endReason: 'unenrolled' });
      expect((await execution(item.executionId)).status).to.equal('cancelled');
      // The execution's end does not rewrite the reason.
      expect(await state(item.enrollmentId)).to.include({ state: 'cancelled', endReason: 'unenrolled' });
      expect((await refusal(svc.unenroll(tenantId, item.enrollmentId, 'user:u2'))).code).to.equal('enrollment_state');
    });

    it('a read catches up with an execution that ended while nobody recorded it', async () => {
      const flowId = await publish(sequence(0));
      const item = await enrollOne(flowId, (await newContact('بدر')).id);
      await waitFor(async () => (await svc.repo(tenantId).get(item.enrollmentId))?.state === 'completed', 20_000);
      // As if the process had died between the execution's end and the enrollment's.
      await ctx.db.sql.transaction(async (q) => void (await q("UPDATE enrollments SET state = 'active', ended_at = NULL, end_reason = NULL WHERE id = $1", [item.enrollmentId])));
      expect((await svc.repo(tenantId).get(item.enrollmentId))!.state).to.equal('active');
      expect(await state(item.enrollmentId)).to.include({ state: 'completed', endReason: 'execution_succeeded' });
      expect((await svc.repo(tenantId).get(item.enrollmentId))!.state).to.equal('completed');
      // And an active enrollment reads its live position from its execution.
      const waiting = await enrollOne(await publish(sequence(3600)), (await newContact('جود')).id);
      await untilExecution(waiting.executionId, ['waiting']);
      expect(await state(waiting.enrollmentId)).to.deep.include({ state: 'active', currentNode: 'pause', pendingNodes: ['pause'] });
    });

    it('an execution cancelled elsewhere ends its enrollment as cancelled', async () => {
      const flowId = await publish(sequence(3600));
      const item = await enrollOne(flowId, (await newContact('سعد')).id);
      await untilExecution(item.executionId, ['waiting']);
      await ctx.runtime.cancel(item.executionId, 'by hand');
      expect(await untilState(item.enrollmentId, 'cancelled')).to.include({ endReason: 'execution_cancelled' });
    });

    it('a reply ends the contact’s sequences (waiting in a delay or another event) and cancels them, but resumes a flow that waits for the reply', async () => {
      const omar = await newContact('عمر');
      const inDelay = await enrollOne(await publish(sequence(3600)), omar.id);
      const meeting = await enrollOne(
        await publish(flow([{ id: 'start', type: 'trigger.manual' }, { id: 'meet', type: 'wait.event', params: { event: 'meeting.booked', timeoutSeconds: 3600 } }], [['start', 'out', 'meet']])),
        omar.id,
      );
      const replyFlow = await publish(
        flow(
          [
            { id: 'start', type: 'trigger.manual' },
            { id: 'reply', type: 'wait.event', params: { timeoutSeconds: 3600 } },
            { id: 'hot', type: 'data.set', params: { fields: { answered: '=body' }, keepInput: false } },
          ],
          [['start', 'out', 'reply'], ['reply', 'received', 'hot']],
        ),
      );
      const waitsForReply = await enrollOne(replyFlow, omar.id);
      for (const e of [inDelay, meeting, waitsForReply]) await untilExecution(e.executionId, ['waiting']);
      const other = await newContact('أحمد');
      const bystander = await enrollOne(await publish(sequence(3600)), other.id);

      // As the inbound handler does: deliver the reply, then exit the contact's sequences.
      expect(await ctx.runtime.deliverEvent(tenantId, 'message.received', omar.id, { body: 'مهتم' })).to.equal(1);
      expect(await svc.exit(tenantId, omar.id, 'replied', 'whatsapp')).to.equal(2);
      for (const e of [inDelay, meeting]) {
        expect(await state(e.enrollmentId)).to.include({ state: 'replied', endReason: 'replied:whatsapp' });
        expect((await execution(e.executionId)).status).to.equal('cancelled');
      }
      expect((await state(meeting.enrollmentId)).currentNode).to.equal('meet');
      const answered = await untilExecution(waitsForReply.executionId, ['succeeded']);
      expect(answered.output).to.deep.equal({ answered: 'مهتم' });
      expect(await untilState(waitsForReply.enrollmentId, 'completed')).to.include({ endReason: 'execution_succeeded' });
      expect((await state(bystander.enrollmentId)).state).to.equal('active');
      // Idempotent.
      expect(await svc.exit(tenantId, omar.id, 'replied')).to.equal(0);
      // Another tenant's contact id ends nothing here.
      expect(await svc.exit(otherTenantId, other.id, 'erased')).to.equal(0);
      expect((await state(bystander.enrollmentId)).state).to.equal('active');
    });

    it('an opt-out on a channel ends the flows that send on it; without a channel, all; erasure ends everything', async () => {
      const sendsWhatsapp = flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'wait', type: 'time.delay', params: { seconds: 3600 } },
          { id: 'wa', type: 'send.whatsapp', params: { purpose: 'marketing', text: 'عرض خاص' } },
        ],
        [['start', 'out', 'wait'], ['wait', 'out', 'wa']],
      );
      const khalid = await newContact('خالد');
      const wa = await enrollOne(await publish(sendsWhatsapp), khalid.id);
      const plain = await enrollOne(await publish(sequence(3600)), khalid.id);
      expect(await svc.exit(tenantId, khalid.id, 'opted_out', 'sms')).to.equal(0);
      expect(await svc.exit(tenantId, khalid.id, 'opted_out', 'whatsapp')).to.equal(1);
      expect(await state(wa.enrollmentId)).to.include({ state: 'opted_out', endReason: 'opted_out:whatsapp' });
      expect((await untilExecution(wa.executionId, ['cancelled'])).status).to.equal('cancelled');
      expect((await state(plain.enrollmentId)).state).to.equal('active');
      expect(await svc.exit(tenantId, khalid.id, 'consent_withdrawn')).to.equal(1);
      expect(await state(plain.enrollmentId)).to.include({ state: 'opted_out', endReason: 'consent_withdrawn' });

      const mona = await newContact('منى');
      const running = await enrollOne(await publish(sequence(3600)), mona.id);
      const toPause = await enrollOne(await publish(sendsWhatsapp), mona.id);
      await untilExecution(toPause.executionId, ['waiting']);
      await svc.pause(tenantId, toPause.enrollmentId, 'user:u3');
      expect(await svc.exit(tenantId, mona.id, 'erased')).to.equal(2);
      for (const e of [running, toPause]) expect(await state(e.enrollmentId)).to.include({ state: 'cancelled', endReason: 'erased' });
      expect((await execution(running.executionId)).status).to.equal('cancelled');
      // A paused enrollment's kept position is dropped when it ends.
      expect(await svc.repo(tenantId).resumePlan(toPause.enrollmentId)).to.equal(null);
    });

    it('skips erased, unknown and other tenants’ contacts, and named-twice ones, reporting each', async () => {
      const flowId = await publish(sequence(3600));
      const ok = await newContact('رنا');
      const erased = await newContact('ماجد');
      await ctx.db.sql.transaction(async (q) => ctx.contacts(tenantId).anonymise(erased.id, q));
      const foreign = await newContact('أجنبي', otherTenantId);
      const report = await svc.enroll(tenantId, flowId, [{ contactId: ok.id }, { contactId: erased.id }, { contactId: foreign.id }, { contactId: 'no-such-id' }, { contactId: ok.id }], { actor: 'test' });
      expect(report.enrolled.map((e) => e.contactId)).to.deep.equal([ok.id]);
      expect(report.skipped.map((s) => [s.contactId, s.reason])).to.have.deep.members([
        [erased.id, 'erased'],
        [foreign.id, 'not_found'],
        ['no-such-id', 'not_found'],
        [ok.id, 'duplicate'],
      ]);
      // Another tenant's flow does not exist here.
      const foreignFlow = await publish(sequence(1), otherTenantId);
      expect((await refusal(svc.enroll(tenantId, foreignFlow, [{ contactId: ok.id }], { actor: 'test' }))).status).to.equal(404);
    });

    it('keeps the enrollment and its history when its execution is pruned; the history is append-only', async () => {
      const flowId = await publish(sequence(0));
      const item = await enrollOne(flowId, (await newContact('زياد')).id);
      await untilState(item.enrollmentId, 'completed');
      const before = await svc.history(tenantId, item.enrollmentId);
      expect(await pruneExecutions(ctx.db, tenantId, Date.now() + 60_000)).to.be.greaterThan(0);
      expect(await ctx.executions(tenantId).get(item.executionId)).to.equal(null);
      expect(await state(item.enrollmentId)).to.include({ state: 'completed', executionId: item.executionId, currentNode: 'second' });
      expect(await svc.history(tenantId, item.enrollmentId)).to.deep.equal(before);
      let refused: unknown = null;
      await ctx.db.sql.transaction(async (q) => void (await q("UPDATE enrollment_history SET reason = 'x' WHERE enrollment_id = $1", [item.enrollmentId]))).catch((e: unknown) => (refused = e));
      expect(String(refused)).to.match(/append-only/);
      refused = null;
      await ctx.db.sql.transaction(async (q) => void (await q('DELETE FROM enrollment_history WHERE enrollment_id = $1', [item.enrollmentId]))).catch((e: unknown) => (refused = e));
      expect(String(refused)).to.match(/append-only/);
    });
  });
}

describe('exitAffects', () => {
  const nodes = (...types: [string, Body?][]) => ({ nodes: types.map(([type, params], i) => ({ id: `n${i}`, type, typeVersion: 1, params: params ?? {} })) });
  it('a reply ends flows except those waiting for message.received; erasure ends all', () => {
    expect(exitAffects(nodes(['time.delay']), 'replied')).to.equal(true);
    expect(exitAffects(nodes(['wait.event', { event: 'meeting.booked' }]), 'replied')).to.equal(true);
    expect(exitAffects(nodes(['wait.event']), 'replied')).to.equal(false);
    expect(exitAffects(nodes(['wait.event', { event: 'message.received' }]), 'replied')).to.equal(false);
    expect(exitAffects(nodes(['wait.event']), 'erased')).to.equal(true);
  });
  it('an opt-out or a withdrawal on a channel ends flows with that channel’s send node; all without a channel', () => {
    const wa = nodes(['send.whatsapp']);
    expect(exitAffects(wa, 'opted_out', 'whatsapp')).to.equal(true);
    expect(exitAffects(wa, 'consent_withdrawn', 'email')).to.equal(false);
    expect(exitAffects(nodes(['send.email'], ['send.sms']), 'consent_withdrawn', 'sms')).to.equal(true);
    expect(exitAffects(nodes(['data.set']), 'opted_out')).to.equal(true);
  });
});
