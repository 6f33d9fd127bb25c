// Reply intelligence on the inbound path (server/channels/inbound.ts) with the server's own
// context (createContext, embedded on SQLite, no LLM keys → the rules): the class is stored
// with the inbound message and given to the waiting flow (reply.classify routes by it); an
// out-of-office reply pauses the contact's sequences until the return date instead of ending
// them, and the resume sweep continues them then; any other reply still ends them.
import { expect } from 'chai';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { createContext, type AppContext } from '../../server/app-context.js';
import { loadConfig } from '../../server/config.js';
import { handleInbound } from '../../server/channels/inbound.js';
import type { EnrollmentService } from '../../server/enrollments/enrollment-service.js';
import { InboundMessageRepository } from '../../db/inbound-message-repository.js';
import { flow } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

describe('sequences: reply classes on inbound replies, out-of-office pauses (sqlite)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let ctx: AppContext;
  let svc: EnrollmentService;
  let tenantId: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-ooo-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    await ctx.runtime.start();
    svc = ctx.contactExits as EnrollmentService;
    tenantId = (await ctx.tenants.ensure('ooo', 'Out of office')).id;
  });
  after(async () => {
    await ctx?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const sequence = () =>
    flow(
      [
        { id: 'start', type: 'trigger.manual' },
        { id: 'pause', type: 'time.delay', params: { seconds: 3600 } },
        { id: 'second', type: 'data.set', params: { fields: { second: true } } },
      ],
      [['start', 'out', 'pause'], ['pause', 'out', 'second']],
    );
  const replyFlow = () =>
    flow(
      [
        { id: 'start', type: 'trigger.manual' },
        { id: 'reply', type: 'wait.event', params: { timeoutSeconds: 3600 } },
        { id: 'classify', type: 'reply.classify' },
        { id: 'away', type: 'data.set', params: { fields: { away: '=returnDate' }, keepInput: false } },
        { id: 'hot', type: 'data.set', params: { fields: { hot: true }, keepInput: false } },
      ],
      [['start', 'out', 'reply'], ['reply', 'received', 'classify'], ['classify', 'out_of_office', 'away'], ['classify', 'interested', 'hot']],
    );
  const enroll = async (flowId: string, contactId: string) => {
    const report = await svc.enroll(tenantId, flowId, [{ contactId }], { actor: 'test' });
    expect(report.enrolled, JSON.stringify(report.skipped)).to.have.length(1);
    return report.enrolled[0]!;
  };
  const untilWaiting = (id: string) => waitFor(async () => (await ctx.executions(tenantId).get(id))?.status === 'waiting', 20_000);
  const inbound = (phone: string, body: string, id: string) =>
    handleInbound(ctx, { tenantId, provider: 'twilio', channel: 'whatsapp', from: `whatsapp:${phone}`, to: null, body, providerMessageId: id, receivedAt: Date.now() });

  it('an out-of-office reply is stored with its class and return date, pauses the sequence until then, and the waiting flow routes it', async () => {
    const phone = `+96655${randomInt(1_000_000, 10_000_000)}`;
    const c = await ctx.contacts(tenantId).create({ name: 'نورة', phone, email: null });
    const seq = await enroll((await ctx.flows(tenantId).publish(sequence())).flowId, c.id);
    const waiting = await enroll((await ctx.flows(tenantId).publish(replyFlow())).flowId, c.id);
    await untilWaiting(seq.executionId);
    await untilWaiting(waiting.executionId);

    const outcome = await inbound(phone, 'أنا في إجازة، أعود بتاريخ 2027-01-10 إن شاء الله', 'SM-ooo-1');
    const returnAt = Date.parse('2027-01-10T06:00:00.000Z'); // 09:00 Riyadh
    expect(outcome).to.deep.include({ replyClass: 'out_of_office', returnAt, paused: 1, exited: 0, resumed: 1 });
    const stored = (await new InboundMessageRepository(ctx.db, tenantId).get(outcome.messageId))!;
    expect(stored).to.deep.include({ replyClass: 'out_of_office', replyReturnAt: returnAt, replyClassifier: 'rules' });

    expect(await svc.get(tenantId, seq.enrollmentId)).to.deep.include({ state: 'paused', resumeAt: returnAt });
    const routed = await waitFor(async () => {
      const e = await ctx.executions(tenantId).get(waiting.executionId);
      return e?.status === 'succeeded' && e;
    }, 20_000);
    expect(routed.output).to.deep.equal({ away: '2027-01-10' });

    // The resume sweep: nothing before the return date, the sequence continues at it.
    expect(await svc.resumeDue(returnAt - 1)).to.equal(0);
    expect(await svc.resumeDue(returnAt)).to.equal(1);
    expect(await svc.get(tenantId, seq.enrollmentId)).to.deep.include({ state: 'active', resumeAt: null });
    expect(await svc.resumeDue(returnAt + 1)).to.equal(0);
  });

  it('any other reply still ends the sequence, with its class stored (a redelivery classifies nothing again)', async () => {
    const phone = `+96655${randomInt(1_000_000, 10_000_000)}`;
    const c = await ctx.contacts(tenantId).create({ name: 'خالد', phone, email: null });
    const seq = await enroll((await ctx.flows(tenantId).publish(sequence())).flowId, c.id);
    await untilWaiting(seq.executionId);
    const outcome = await inbound(phone, 'مهتم، كلمني بكره', 'SM-int-1');
    expect(outcome).to.deep.include({ replyClass: 'interested', returnAt: null, paused: 0, exited: 1 });
    expect(await svc.get(tenantId, seq.enrollmentId)).to.deep.include({ state: 'replied' });
    const again = await inbound(phone, 'مهتم، كلمني بكره', 'SM-int-1');
    expect(again).to.deep.include({ duplicate: true });
    expect((await new InboundMessageRepository(ctx.db, tenantId).get(outcome.messageId))?.replyClass).to.equal('interested');
  });
});
