// A fresh store's demo: besides the intake flow, the outreach sequence is published and the
// demo executions ran through the real engine (seeds/demo-activity.ts): finished intake runs,
// one contact who replied, one waiting for a reply, four waiting in the escalation inbox.
import { expect } from 'chai';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createContext, type AppContext } from '../../server/app-context.js';
import { loadConfig } from '../../server/config.js';
import { seedDemoTenant } from '../../seeds/demo-tenant.js';
import { seedDemoActivity } from '../../seeds/demo-activity.js';

describe('seeds: demo executions on a fresh store', function () {
  this.timeout(60_000);
  let dataDir: string;
  let ctx: AppContext;
  let tenantId: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-demo-seed-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    const seeded = await seedDemoTenant(ctx);
    expect(seeded.published).to.deep.equal(['demo-lead-intake@1', 'demo-outreach@1']);
    expect(seeded.contacts).to.equal(6);
    tenantId = seeded.tenantId;
    await ctx.runtime.start();
    const activity = await seedDemoActivity(ctx, tenantId);
    expect(activity.executions).to.have.length(9);
  });

  after(async () => {
    await ctx?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const rows = (sql: string) => ctx.db.sql.query(sql, [tenantId]);

  it('runs the intake flow and the outreach sequence to finished and waiting executions', async () => {
    const byFlow = await rows('SELECT flow_id, status, COUNT(*) AS n FROM executions WHERE tenant_id = $1 GROUP BY flow_id, status ORDER BY flow_id, status');
    expect(byFlow.map((r) => [r.flow_id, r.status, Number(r.n)])).to.deep.equal([
      ['demo-lead-intake', 'succeeded', 3],
      ['demo-outreach', 'succeeded', 1],
      ['demo-outreach', 'waiting', 5],
    ]);
  });

  it('sent two WhatsApp welcomes on the sandbox, received one reply, opened four escalations', async () => {
    const sent = await rows("SELECT provider, status FROM outbound_messages WHERE tenant_id = $1 AND channel = 'whatsapp'");
    expect(sent.map((r) => [r.provider, r.status])).to.deep.equal([
      ['sandbox', 'sent'],
      ['sandbox', 'sent'],
    ]);
    expect(await rows('SELECT id FROM inbound_messages WHERE tenant_id = $1')).to.have.length(1);
    const escalations = await rows('SELECT status, priority FROM escalations WHERE tenant_id = $1');
    expect(escalations.map((r) => [r.status, r.priority])).to.deep.equal(Array(4).fill(['open', 'high']));
    const tagged = await rows("SELECT name, tags FROM contacts WHERE tenant_id = $1 AND tags LIKE '%replied%'");
    expect(tagged.map((r) => r.name)).to.deep.equal(['محمد القحطاني']);
  });
});
