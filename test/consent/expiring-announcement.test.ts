// Consents about to expire are announced as `consent.expiring` (the re-permission template's
// trigger): once per consent and expiry date, however many sweeps run; fresh consents are not.
import { expect } from 'chai';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createContext, type AppContext } from '../../server/app-context.js';
import { loadConfig } from '../../server/config.js';
import { announceExpiringConsents } from '../../server/consent/expiry-sweeper.js';

const DAY = 24 * 3600 * 1000;

describe('consent.expiring announcements', function () {
  this.timeout(30_000);
  let dataDir: string;
  let ctx: AppContext;
  let tenantId: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-expiring-'));
    ctx = await createContext(loadConfig({ TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' }), pino({ level: 'silent' }));
    await ctx.runtime.start();
    tenantId = (await ctx.tenants.ensure('expiring', 'Expiring')).id;
  });

  after(async () => {
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('announces a consent expiring within 30 days once, starting the flows that listen, and not a fresh one', async () => {
    const now = Date.now();
    const published = await ctx.flows(tenantId).publish({
      schemaVersion: 1,
      name: 'Re-permission',
      nodes: [
        { id: 'expiring', type: 'trigger.event', params: { event: 'consent.expiring' } },
        { id: 'note', type: 'data.set', params: { fields: { channel: '=$trigger.data.channel' } } },
      ],
      edges: [{ id: 'e1', from: { node: 'expiring', port: 'out' }, to: { node: 'note', port: 'in' } }],
    });
    const contacts = ctx.contacts(tenantId);
    const consents = ctx.consents(tenantId);
    const old = await contacts.create({ name: 'محمد', phone: '+966552345000' });
    const fresh = await contacts.create({ name: 'Sara', phone: '+966552345001' });
    const evidence = { form: 'https://example.sa/consent' };
    await consents.change(old.id, 'whatsapp', 'marketing', 'grant', { actor: 'test', source: 'web_form', evidence, at: now, effectiveAt: now - 350 * DAY });
    await consents.change(fresh.id, 'whatsapp', 'marketing', 'grant', { actor: 'test', source: 'web_form', evidence, at: now });

    await announceExpiringConsents(ctx.db, ctx.events, now);
    await announceExpiringConsents(ctx.db, ctx.events, now + 60_000);

    const events = await ctx.db.sql.query("SELECT subject, data FROM domain_events WHERE tenant_id = $1 AND type = 'consent.expiring'", [tenantId]);
    expect(events.map((e) => e.subject)).to.deep.equal([old.id]);
    expect(JSON.parse(String(events[0]!.data))).to.include({ channel: 'whatsapp', purpose: 'marketing' });
    const runs = await ctx.db.sql.query('SELECT subject FROM executions WHERE tenant_id = $1 AND flow_id = $2', [tenantId, published.flowId]);
    expect(runs.map((r) => r.subject)).to.deep.equal([old.id]);
  });
});
