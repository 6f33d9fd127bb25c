// A fresh store's first look should not be empty: once, right after the demo contacts are
// created, run a few executions through the real engine (no fabricated rows) —
//  - three leads posted to the intake flow (finished: two hot, one cold);
//  - every demo contact enrolled in the outreach sequence (consent.check → send.whatsapp on the
//    sandbox channel → wait.event → escalate): the two with WhatsApp marketing consent get the
//    welcome, one of them replies (her execution finishes, the contact is tagged "replied"), the
//    other waits for a reply; the four without valid consent wait in the escalation inbox.
// The demo tenant sends only to the sandbox provider (nothing leaves the machine), so its
// WhatsApp channel ignores business hours: the demo looks the same at any hour. A real
// tenant keeps the default policy (sends outside business hours wait for the next opening).
import type { AppContext } from '../server/app-context.js';
import { EnrollmentService } from '../server/enrollments/enrollment-service.js';
import { handleInbound } from '../server/channels/inbound.js';
import { SendPolicyRepository } from '../db/send-policy-repository.js';
import { DEMO_CONTACTS } from './demo-contacts.js';

export const DEMO_LEAD_INTAKE = 'demo-lead-intake';
export const DEMO_OUTREACH = 'demo-outreach';

const DEMO_LEADS = [
  { name: 'ريم الحربي', company: 'مدارس المستقبل', budget_sar: '180000' },
  { name: 'Yousef Salem', company: 'Salem Trading', budget_sar: '12000' },
  { name: 'عبدالله الزهراني', company: 'الزهراني للتطوير العقاري', budget_sar: '75000' },
];

/** The contact who answers the welcome (granted consent, so the welcome reached her). */
const REPLYING_PHONE = '+966552345678';
const REPLY_TEXT = 'نعم، مهتم بالعرض. متى يمكننا التحدث؟ — Yes, interested. When can we talk?';

export interface DemoActivity {
  executions: string[];
}

export async function seedDemoActivity(ctx: AppContext, tenantId: string): Promise<DemoActivity> {
  const executions: string[] = [];
  const policies = new SendPolicyRepository(ctx.db, tenantId);
  const policy = await policies.policy();
  await ctx.db.sql.transaction((q) => policies.savePolicy({ ...policy, channels: { ...policy.channels, whatsapp: { ...policy.channels.whatsapp, respectBusinessHours: false } } }, q));
  const settings = await ctx.tenants.byId(tenantId);
  if (settings) ctx.tenantSettings.set(tenantId, settings.settings);

  const flows = ctx.flows(tenantId);
  const intake = await flows.get(DEMO_LEAD_INTAKE);
  const intakeFlow = intake?.publishedVersion ? await flows.version(DEMO_LEAD_INTAKE, intake.publishedVersion) : null;
  if (intake?.publishedVersion && intakeFlow) {
    for (const body of DEMO_LEADS) {
      const { executionId } = await ctx.runtime.startExecution({
        tenantId,
        flowId: DEMO_LEAD_INTAKE,
        flowVersion: intake.publishedVersion,
        flow: intakeFlow,
        trigger: 'webhook',
        payload: { body, query: {}, headers: { 'content-type': 'application/json' } },
        mode: 'webhook',
        durable: true,
      });
      await ctx.runtime.result(executionId, true, 10_000);
      executions.push(executionId);
    }
  }

  const byPhone = new Map<string, string>();
  for (const c of DEMO_CONTACTS) {
    const found = (await ctx.contacts(tenantId).matching(c.phone, null)).find((x) => x.phone === c.phone);
    if (found) byPhone.set(c.phone, found.id);
  }
  const ids = [...byPhone.values()];
  const service = ctx.contactExits instanceof EnrollmentService ? ctx.contactExits : new EnrollmentService({ db: ctx.db, runtime: ctx.runtime, registry: ctx.registry, log: ctx.log });
  const report = await service.enroll(tenantId, DEMO_OUTREACH, ids.map((contactId) => ({ contactId })), { actor: 'seed', source: 'seed' });
  // Each execution runs until it waits (for a reply or in the escalation inbox).
  for (const e of report.enrolled) {
    await ctx.runtime.result(e.executionId, false, 10_000);
    executions.push(e.executionId);
  }
  // One contact replies on WhatsApp, as a provider callback would deliver it.
  await handleInbound(
    ctx,
    { tenantId, provider: 'ultramsg', channel: 'whatsapp', from: REPLYING_PHONE, to: null, body: REPLY_TEXT, providerMessageId: 'demo-seed-reply-1', receivedAt: Date.now() },
    settings?.settings ?? {},
  );
  const replied = report.enrolled.find((e) => e.contactId === byPhone.get(REPLYING_PHONE));
  if (replied) await ctx.runtime.result(replied.executionId, true, 10_000);
  return { executions };
}
