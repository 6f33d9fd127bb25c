// The contacts and consent repositories' SQL, on SQLite and PostgreSQL: uniqueness, filters and
// pagination, tenant scoping, consent changes with their events in one transaction, the
// append-only trail, the batched expiry sweep (also two sweeps at once), the send-time check
// against random histories, and the redaction of a subject's executions.
import { expect } from 'chai';
import fc from 'fast-check';
import pg from 'pg';
import { waitFor } from '../helpers/wait-for.js';
import { DIALECTS, createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/databases.js';
import { ConsentChangeRefused, ConsentRepository, ContactRepository, DuplicateContactError, ERASED, EXPIRY_ACTOR, SubjectData, expireDueConsents, importContacts, type ImportContact } from '../../db/contacts/index.js';
import { consentExpiry } from '../../engine/consent/consent-rule.js';
import { T0, askArb, historyArb, oracle } from './consent-histories.js';

const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  describe(`contacts and consent repositories (${dialect})`, function () {
    this.timeout(120_000);
    let t: TestDatabase;
    let contacts: ContactRepository;
    let consents: ConsentRepository;
    const tenant = 'tenant-a';

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      t = await createTestDatabase(dialect);
      contacts = new ContactRepository(t.db, tenant);
      consents = new ConsentRepository(t.db, tenant);
    });

    after(async () => {
      await t?.db.close();
      await t?.drop();
    });

    it('keeps phone and email unique per tenant (and only per tenant)', async () => {
      const a = await contacts.create({ name: 'سارة', phone: '+966551000001', email: 'sara@example.sa' });
      expect(a).to.deep.include({ name: 'سارة', phone: '+966551000001', email: 'sara@example.sa', locale: 'ar', tags: [], attributes: {}, erasedAt: null });
      const dupPhone = await contacts.create({ name: 'x', phone: '+966551000001' }).catch((e: unknown) => e);
      expect(dupPhone).to.be.instanceOf(DuplicateContactError).with.property('field', 'phone');
      const dupEmail = await contacts.create({ name: 'x', email: 'sara@example.sa' }).catch((e: unknown) => e);
      expect(dupEmail).to.be.instanceOf(DuplicateContactError).with.property('field', 'email');
      // The unique index itself holds when the check is bypassed.
      const raw = await t.db.sql.query("INSERT INTO contacts (id, tenant_id, name, phone, locale, tags, attributes, created_at, updated_at) VALUES ('raw-1', $1, 'x', '+966551000001', 'ar', '[]', '{}', 1, 1)", [tenant]).catch((e: unknown) => e);
      expect(raw).to.be.instanceOf(Error);
      // Another tenant may hold the same phone; contacts without phone or email coexist.
      const other = await new ContactRepository(t.db, 'tenant-b').create({ name: 'other', phone: '+966551000001' });
      expect(other.phone).to.equal('+966551000001');
      await contacts.create({ name: 'no phone 1', email: 'np1@example.sa' });
      await contacts.create({ name: 'no phone 2', email: 'np2@example.sa' });
      // Another tenant's id reads as not found and cannot be updated.
      expect(await contacts.byId(other.id)).to.equal(null);
      expect(await contacts.update(other.id, { name: 'hijack' })).to.equal(null);
      expect((await new ContactRepository(t.db, 'tenant-b').byId(other.id))!.name).to.equal('other');
      // Update checks uniqueness against the others, not against itself.
      const b = await contacts.create({ name: 'b', phone: '+966551000002' });
      expect(await contacts.update(b.id, { email: 'SARA@example.sa'.toLowerCase() }).catch((e: unknown) => e)).to.be.instanceOf(DuplicateContactError);
      expect((await contacts.update(b.id, { phone: '+966551000002', tags: ['x'] }))!.tags).to.deep.equal(['x']);
    });

    it('lists newest first with filters and keyset pagination, never another tenant’s', async () => {
      const mine = new ContactRepository(t.db, 'tenant-list');
      const made = [];
      for (let i = 0; i < 7; i++) {
        made.push(
          await mine.create({ name: i % 2 ? `عميل ${i}` : `Client_${i}`, phone: `+96655200000${i}`, email: `c${i}@Example.sa`.toLowerCase(), tags: i % 3 === 0 ? ['vip', 'عقار'] : ['cold-list'], tier: i % 2 ? 'hot' : 'cold', ownerId: i < 3 ? 'rep-1' : 'rep-2' }),
        );
      }
      await new ContactRepository(t.db, 'tenant-other').create({ name: 'عميل other', phone: '+966552000009' });
      const ids = (page: { items: { id: string }[] }) => page.items.map((c) => c.id);
      const all = [...made].reverse().map((c) => c.id);
      expect(ids(await mine.list({ limit: 50 }))).to.deep.equal(all);
      const first = await mine.list({ limit: 3 });
      const second = await mine.list({ limit: 3, after: first.next! });
      const third = await mine.list({ limit: 3, after: second.next! });
      expect([...ids(first), ...ids(second), ...ids(third)]).to.deep.equal(all);
      expect(third.next).to.equal(null);
      expect(ids(await mine.list({ limit: 50, q: 'عميل' }))).to.deep.equal(all.filter((_, i) => [6, 4, 2, 0].includes(i) === false));
      expect(ids(await mine.list({ limit: 50, q: 'client_' }))).to.have.length(4); // case-insensitive, `_` literal
      expect(ids(await mine.list({ limit: 50, q: '%' }))).to.deep.equal([]);
      expect(ids(await mine.list({ limit: 50, q: '055 2000003' }))).to.deep.equal([made[3]!.id]);
      expect(ids(await mine.list({ limit: 50, q: 'C5@EXAMPLE' }))).to.deep.equal([made[5]!.id]);
      expect(ids(await mine.list({ limit: 50, tag: 'vip' }))).to.deep.equal([made[6]!.id, made[3]!.id, made[0]!.id]);
      expect(ids(await mine.list({ limit: 50, tag: 'vi' }))).to.deep.equal([]);
      expect(ids(await mine.list({ limit: 50, tag: 'عقار', tier: 'cold' }))).to.deep.equal([made[6]!.id, made[0]!.id]);
      expect(ids(await mine.list({ limit: 50, ownerId: 'rep-1' }))).to.deep.equal([made[2]!.id, made[1]!.id, made[0]!.id]);

      const grants = new ConsentRepository(t.db, 'tenant-list');
      const now = Date.now();
      await grants.grant(made[1]!.id, 'whatsapp', 'marketing', { actor: 'test', source: 'web_form', evidence: { formUrl: 'https://x.sa/f' }, at: now });
      await grants.grant(made[2]!.id, 'whatsapp', 'marketing', { actor: 'test', source: 'web_form', evidence: { formUrl: 'https://x.sa/f' }, at: now - 400 * DAY });
      await grants.grant(made[3]!.id, 'whatsapp', 'service', { actor: 'test', source: 'web_form', evidence: { formUrl: 'https://x.sa/f' }, at: now });
      await grants.grant(made[4]!.id, 'whatsapp', 'marketing', { actor: 'test', source: 'web_form', evidence: { formUrl: 'https://x.sa/f' }, at: now });
      await grants.withdraw(made[4]!.id, 'whatsapp', 'marketing', { actor: 'test', at: now });
      // Only the valid, unexpired, exact-pair consent counts (the SQL mirror of consentDecision).
      expect(ids(await mine.list({ limit: 50, consent: { channel: 'whatsapp', purpose: 'marketing', at: now } }))).to.deep.equal([made[1]!.id]);
    });

    it('writes each consent change and its event in one transaction, and the trail is append-only', async () => {
      const c = await contacts.create({ name: 'trail', phone: '+966551000010' });
      const before = (await consents.events(c.id, {})).length;
      const failed = await t.db.sql
        .transaction(async (q) => {
          await consents.grant(c.id, 'sms', 'marketing', { actor: 'user:1', source: 'web_form', evidence: { ip: '10.0.0.1' } }, q);
          throw new Error('caller fails after the grant');
        })
        .catch((e: unknown) => e);
      expect(failed).to.be.instanceOf(Error);
      expect(await consents.get(c.id, 'sms', 'marketing')).to.equal(null);
      expect(await consents.events(c.id, {})).to.have.length(before);

      const at = Date.parse('2026-02-01T10:00:00Z');
      const granted = await consents.grant(c.id, 'sms', 'marketing', { actor: 'user:1', source: 'web_form', evidence: { ip: '10.0.0.1', text: 'أوافق على استلام العروض' }, at });
      expect(granted.consent).to.deep.include({ status: 'granted', grantedAt: at, expiresAt: consentExpiry(at), source: 'web_form' });
      expect(granted.event).to.deep.include({ type: 'grant', actor: 'user:1', channel: 'sms', purpose: 'marketing', at });
      expect(granted.event!.evidence).to.deep.equal({ ip: '10.0.0.1', text: 'أوافق على استلام العروض' });
      const renewed = await consents.renew(c.id, 'sms', 'marketing', { actor: 'user:2', at: at + 100 * DAY });
      expect(renewed.consent).to.deep.include({ status: 'granted', grantedAt: at, renewedAt: at + 100 * DAY, expiresAt: consentExpiry(at + 100 * DAY), source: 'web_form' });
      expect(renewed.consent!.evidence).to.deep.equal({ ip: '10.0.0.1', text: 'أوافق على استلام العروض' });
      const withdrawn = await consents.withdraw(c.id, 'sms', 'marketing', { actor: 'user:3', source: 'opt_out_reply', details: { reason: 'إيقاف' }, at: at + 101 * DAY });
      expect(withdrawn.consent!.status).to.equal('withdrawn');
      expect((await consents.withdraw(c.id, 'sms', 'marketing', { actor: 'user:3' })).event).to.equal(null);
      expect(await consents.renew(c.id, 'sms', 'marketing', { actor: 'user:3' }).catch((e: unknown) => e)).to.be.instanceOf(ConsentChangeRefused).with.property('code', 'renew_not_allowed');
      expect(await new ConsentRepository(t.db, 'tenant-b').grant(c.id, 'sms', 'marketing', { actor: 'x', source: 'api', evidence: { a: 1 } }).catch((e: unknown) => e))
        .to.be.instanceOf(ConsentChangeRefused)
        .with.property('code', 'contact_not_found');
      const blocked = await consents.recordBlockedSend({ contactId: c.id, channel: 'sms', purpose: 'marketing', reason: 'withdrawn', actor: 'execution:e1', details: { executionId: 'e1', node: 'send' }, at: at + 102 * DAY });
      expect(blocked.details).to.deep.equal({ reason: 'withdrawn', executionId: 'e1', node: 'send' });
      const trail = await consents.events(c.id, {});
      expect(trail.map((e) => e.type)).to.deep.equal(['blocked_send', 'withdraw', 'renew', 'grant']);
      expect((await consents.events(c.id, { chronological: true })).map((e) => e.type)).to.deep.equal(['grant', 'renew', 'withdraw', 'blocked_send']);
      const page = await consents.events(c.id, { limit: 2, before: { at: trail[1]!.at, id: trail[1]!.id } });
      expect(page.map((e) => e.type)).to.deep.equal(['renew', 'grant']);

      expect(await t.db.sql.query("UPDATE consent_events SET type = 'grant' WHERE contact_id = $1", [c.id]).catch((e: unknown) => e)).to.be.instanceOf(Error);
      expect(await t.db.sql.query('DELETE FROM consent_events WHERE contact_id = $1', [c.id]).catch((e: unknown) => e)).to.be.instanceOf(Error);
      expect(await consents.events(c.id, {})).to.have.length(4);
      expect(Object.getOwnPropertyNames(ConsentRepository.prototype).filter((m) => /update|delete|remove|edit/i.test(m))).to.deep.equal([]);
    });

    it('lets erasure rewrite only an erased contact’s event values (actor, source, evidence, details), never its id, type, channel, purpose or time, and never delete it', async () => {
      const c = await contacts.create({ name: 'trail erased', phone: '+966551000020' });
      await consents.grant(c.id, 'whatsapp', 'marketing', { actor: 'user:1', source: 'web_form', evidence: { ip: '10.0.0.2' } });
      const scrub = () => t.db.sql.transaction((q) => q(`UPDATE consent_events SET evidence = '{"ip":"erased:0"}', actor = 'erased:1' WHERE contact_id = $1`, [c.id])).catch((e: unknown) => e);
      expect(await scrub(), 'a contact not erased keeps its trail as written').to.be.instanceOf(Error);
      await t.db.sql.transaction((q) => contacts.anonymise(c.id, q));
      expect(await scrub()).to.not.be.instanceOf(Error);
      expect((await consents.events(c.id, {}))[0]).to.deep.include({ type: 'grant', channel: 'whatsapp', purpose: 'marketing', actor: 'erased:1', evidence: { ip: 'erased:0' } });
      for (const change of ["type = 'withdraw'", "channel = 'sms'", "purpose = 'service'", 'at = at + 1', "contact_id = 'other'", "id = 'other'"]) {
        expect(await t.db.sql.transaction((q) => q(`UPDATE consent_events SET ${change} WHERE contact_id = $1`, [c.id])).catch((e: unknown) => e), change).to.be.instanceOf(Error);
      }
      expect(await t.db.sql.transaction((q) => q('DELETE FROM consent_events WHERE contact_id = $1', [c.id])).catch((e: unknown) => e)).to.be.instanceOf(Error);
      expect(await consents.events(c.id, {})).to.have.length(1);
    });

    it('check() applies the rule to the stored consent', async () => {
      const c = await contacts.create({ name: 'check', phone: '+966551000011' });
      const at = Date.parse('2026-01-01T00:00:00Z');
      expect(await consents.check(c.id, 'email', 'service', at)).to.deep.equal({ ok: false, reason: 'missing' });
      await consents.grant(c.id, 'email', 'service', { actor: 'a', source: 'api', evidence: { x: 1 }, at });
      expect(await consents.check(c.id, 'email', 'service', at)).to.deep.equal({ ok: true });
      expect(await consents.check(c.id, 'email', 'marketing', at)).to.deep.equal({ ok: false, reason: 'missing' });
      expect(await consents.check(c.id, 'email', 'service', consentExpiry(at))).to.deep.equal({ ok: false, reason: 'expired' });
      expect(await new ConsentRepository(t.db, 'tenant-b').check(c.id, 'email', 'service', at)).to.deep.equal({ ok: false, reason: 'missing' });
    });

    it('expires due consents in batches with one expire event each; a second sweep (also a concurrent one) changes nothing', async () => {
      const sweepTenant = 'tenant-sweep';
      const repo = new ContactRepository(t.db, sweepTenant);
      const cons = new ConsentRepository(t.db, sweepTenant);
      const base = Date.parse('2025-01-10T08:00:00Z');
      const due: string[] = [];
      for (let i = 0; i < 5; i++) {
        const c = await repo.create({ name: `due ${i}`, phone: `+96655300000${i}` });
        await cons.grant(c.id, 'whatsapp', 'marketing', { actor: 'a', source: 'import', evidence: { row: i }, at: base + i * 1000 });
        due.push(c.id);
      }
      const fresh = await repo.create({ name: 'fresh', phone: '+966553000009' });
      await cons.grant(fresh.id, 'whatsapp', 'marketing', { actor: 'a', source: 'import', evidence: { row: 9 }, at: base + 200 * DAY });
      const gone = await repo.create({ name: 'withdrawn', phone: '+966553000008' });
      await cons.grant(gone.id, 'whatsapp', 'marketing', { actor: 'a', source: 'import', evidence: { row: 8 }, at: base });
      await cons.withdraw(gone.id, 'whatsapp', 'marketing', { actor: 'a', at: base + DAY });
      // Another tenant's due consent: untouched by this tenant's sweep, expired by the global one.
      const otherRepo = new ContactRepository(t.db, 'tenant-sweep-2');
      const otherContact = await otherRepo.create({ name: 'other', phone: '+966553000007' });
      await new ConsentRepository(t.db, 'tenant-sweep-2').grant(otherContact.id, 'sms', 'service', { actor: 'a', source: 'api', evidence: { a: 1 }, at: base });

      const now = consentExpiry(base + 4 * 1000) + 1;
      // Before the sweep the status still says granted, and the check already refuses.
      expect((await cons.get(due[0]!, 'whatsapp', 'marketing'))!.status).to.equal('granted');
      expect(await cons.check(due[0]!, 'whatsapp', 'marketing', now)).to.deep.equal({ ok: false, reason: 'expired' });

      expect(await cons.expireDue(now, { batchSize: 2 })).to.equal(5);
      for (const id of due) {
        expect((await cons.get(id, 'whatsapp', 'marketing'))!.status).to.equal('expired');
        const events = await cons.events(id, {});
        expect(events.map((e) => [e.type, e.actor, e.at])).to.deep.equal([
          ['expire', EXPIRY_ACTOR, now],
          ['grant', 'a', events[1]!.at],
        ]);
      }
      expect((await cons.get(fresh.id, 'whatsapp', 'marketing'))!.status).to.equal('granted');
      expect((await cons.get(gone.id, 'whatsapp', 'marketing'))!.status).to.equal('withdrawn');
      expect(await cons.expireDue(now)).to.equal(0);
      expect((await new ConsentRepository(t.db, 'tenant-sweep-2').get(otherContact.id, 'sms', 'service'))!.status, 'the tenant sweep stays in its tenant').to.equal('granted');
      const [one, two] = await Promise.all([expireDueConsents(t.db, now, { batchSize: 1 }), expireDueConsents(t.db, now, { batchSize: 1 })]);
      const otherEvents = await new ConsentRepository(t.db, 'tenant-sweep-2').events(otherContact.id, {});
      expect(otherEvents.filter((e) => e.type === 'expire')).to.have.length(1);
      expect(one + two).to.be.at.least(1);
      // An expired consent can be renewed, and is valid again.
      await cons.renew(due[0]!, 'whatsapp', 'marketing', { actor: 'a', at: now + DAY });
      expect(await cons.check(due[0]!, 'whatsapp', 'marketing', now + DAY)).to.deep.equal({ ok: true });
    });

    it('check() agrees with the rule stated over random histories of grants, renewals, withdrawals and sweeps (property)', async () => {
      const tenantId = 'tenant-property';
      const repo = new ContactRepository(t.db, tenantId);
      const cons = new ConsentRepository(t.db, tenantId);
      let n = 0;
      await fc.assert(
        fc.asyncProperty(historyArb, askArb, async (history, ask) => {
          const contact = await repo.create({ name: `p${n}`, email: `p${n++}@example.sa` });
          let time = T0;
          let effective = 0;
          for (const step of history) {
            time += step.gap;
            if (step.kind === 'sweep') {
              // Only this contact's consents matter: sweep the tenant at this history's time.
              const before = (await cons.list(contact.id)).filter((c) => c.status === 'granted' && c.expiresAt! <= time).length;
              await cons.expireDue(time);
              effective += before;
              continue;
            }
            const r = await cons.change(contact.id, step.key.channel, step.key.purpose, step.type, { actor: 'p', source: 'api', evidence: { n }, at: time }).catch((e: unknown) => e);
            if (r instanceof ConsentChangeRefused) continue;
            if (r instanceof Error) throw r;
            if ((r as { event: unknown }).event) effective++;
          }
          const at = time + ask.after;
          const decision = await cons.check(contact.id, ask.key.channel, ask.key.purpose, at);
          expect(decision.ok).to.equal(oracle(history, ask.key, at, T0).ok);
          // Every change that took effect left exactly one event.
          expect(await cons.events(contact.id, {})).to.have.length(effective);
        }),
        { numRuns: dialect === 'postgres' ? 25 : 40 },
      );
    });

    it('imports in batches: matches by phone or email, merges tags, applies consents once; two imports of one file at once save every row once', async () => {
      const tenantId = 'tenant-import';
      const repo = new ContactRepository(t.db, tenantId);
      const existing = await repo.create({ name: 'old name', phone: '+966557000000', tags: ['keep'] });
      const now = Date.now();
      const rows: ImportContact[] = Array.from({ length: 7 }, (_, i) => ({
        row: i + 2,
        name: `مستورد ${i}`,
        phone: `+96655700000${i}`,
        email: i === 3 ? `i${i}@example.sa` : null,
        company: null,
        source: 'expo',
        locale: null,
        tags: i === 0 ? ['new'] : null,
        consents: [{ channel: 'whatsapp', purpose: 'marketing', action: 'grant', effectiveAt: now - DAY, source: 'import', evidence: { row: i + 2 } }],
      }));
      const [a, b] = await Promise.all([
        importContacts(t.db, tenantId, rows, { actor: 'user:a', now, batchSize: 3 }),
        importContacts(t.db, tenantId, rows, { actor: 'user:b', now, batchSize: 3 }),
      ]);
      expect(a.errors).to.deep.equal([]);
      expect(b.errors).to.deep.equal([]);
      expect(a.created + b.created).to.equal(6);
      expect(a.updated + b.updated).to.equal(8);
      const all = (await repo.list({ limit: 100 })).items;
      expect(all).to.have.length(7);
      const first = (await repo.byId(existing.id))!;
      expect(first).to.deep.include({ name: 'مستورد 0', source: 'expo', tags: ['keep', 'new'] });
      const cons = new ConsentRepository(t.db, tenantId);
      for (const c of all) {
        const events = await cons.events(c.id, {});
        expect(events.map((e) => e.type), c.name).to.deep.equal(['grant']);
        expect(events[0]!.at).to.equal(now);
        expect(events[0]!.details).to.deep.include({ effectiveAt: new Date(now - DAY).toISOString() });
        expect(await cons.check(c.id, 'whatsapp', 'marketing', now)).to.deep.equal({ ok: true });
        expect((await cons.get(c.id, 'whatsapp', 'marketing'))!.grantedAt).to.equal(now - DAY);
      }
      // A later file: a withdrawal, and a row whose phone and email are two different contacts.
      const later = await importContacts(
        t.db,
        tenantId,
        [
          { ...rows[1]!, row: 2, consents: [{ channel: 'whatsapp', purpose: 'marketing', action: 'withdraw', effectiveAt: now + 1, source: 'import', evidence: null }] },
          { ...rows[2]!, row: 3, email: 'i3@example.sa', consents: [] },
        ],
        { actor: 'user:c', now: now + 1 },
      );
      expect(later).to.deep.equal({ created: 0, createdIds: [], updated: 1, errors: [{ row: 3, column: 'email', code: 'conflict', message: 'the phone and the email belong to two different contacts' }] });
      const withdrawnContact = all.find((c) => c.phone === rows[1]!.phone)!;
      expect(await cons.check(withdrawnContact.id, 'whatsapp', 'marketing', now + 2)).to.deep.equal({ ok: false, reason: 'withdrawn' });
      expect((await cons.get(withdrawnContact.id, 'whatsapp', 'marketing'))!.evidence, 'the grant’s evidence stays').to.deep.equal({ row: 3 });
    });

    it('import: a batch the database refuses (a concurrent writer took a phone) is saved again row by row', async function () {
      if (dialect !== 'postgres') this.skip(); // SQLite serialises writers: the race cannot happen there
      const tenantId = 'tenant-import-race';
      const now = Date.now();
      const rows: ImportContact[] = ['+966558000001', '+966558000002', '+966558000003'].map((phone, i) => ({ row: i + 2, name: `race ${i}`, phone, email: null, company: null, source: null, locale: null, tags: null, consents: [] }));
      const other = new pg.Client({ connectionString: t.url });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query("INSERT INTO contacts (id, tenant_id, name, phone, locale, tags, attributes, created_at, updated_at) VALUES ('racer', $1, 'racer', '+966558000002', 'ar', '[]', '{}', 1, 1)", [tenantId]);
        const importing = importContacts(t.db, tenantId, rows, { actor: 'user:a', now });
        // The import's INSERT waits on the uncommitted row's unique index entry. Asked from
        // another connection: inside \`other\`'s transaction pg_stat_activity is one snapshot, and
        // a first look taken before the INSERT arrived never changed (the test then timed out).
        await waitFor(async () => (await t.db.sql.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO contacts%'")).length > 0, 10_000);
        await other.query('COMMIT');
        const outcome = await importing;
        expect(outcome).to.deep.include({ created: 2, updated: 1, errors: [] });
        expect(outcome.createdIds).to.have.length(2); // the rows saved one by one after the refused batch
      } finally {
        await other.end();
      }
      const racer = (await new ContactRepository(t.db, tenantId).byId('racer'))!;
      expect(racer.name).to.equal('race 1');
      expect((await new ContactRepository(t.db, tenantId).list({ limit: 10 })).items).to.have.length(3);
    });

    it('redacts a subject’s finished executions in batches, leaving unfinished ones and other subjects alone', async () => {
      const tenantId = 'tenant-redact';
      const subject = 'contact-1';
      const secret = '+966559999999 سارة';
      const state = (status: string) => JSON.stringify({ executionId: 'x', status, nextSeq: 2, tokens: [{ seq: 1, node: 'n', input: { phone: secret }, attempt: 1, status: 'ready', lastError: { code: 'E', message: secret } }], output: { phone: secret }, error: null, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: null });
      const insert = async (id: string, status: string, subj: string, tenant = tenantId) => {
        await t.db.sql.query(
          "INSERT INTO executions (id, tenant_id, flow_id, flow_version, status, mode, subject, state, output, error, started_at, updated_at, rev) VALUES ($1, $2, 'f', 1, $3, 'manual', $4, $5, $6, $7, 1, 1, 0)",
          [id, tenant, status, subj, state(status), JSON.stringify({ phone: secret }), JSON.stringify({ code: 'X', message: secret, node: 'n' })],
        );
        for (let seq = 0; seq < 3; seq++) {
          await t.db.sql.query(
            "INSERT INTO execution_steps (id, tenant_id, execution_id, seq, node_id, node_type, attempt, status, port, input, output, error, logs) VALUES ($1, $2, $3, $4, 'n', 'data.set', 1, 'succeeded', 'out', $5, $5, $6, $7)",
            [`${id}:${seq}`, tenant, id, seq, JSON.stringify({ phone: secret }), seq === 2 ? JSON.stringify({ code: 'X', message: secret }) : null, JSON.stringify([secret])],
          );
        }
      };
      for (let i = 0; i < 5; i++) await insert(`done-${i}`, i % 2 ? 'failed' : 'succeeded', subject);
      await insert('running-1', 'waiting', subject);
      await insert('someone-else', 'succeeded', 'contact-2');
      await insert('other-tenant', 'succeeded', subject, 'tenant-redact-2');

      const result = await new SubjectData(t.db, tenantId).redactExecutions(subject, { batchSize: 2 });
      expect(result).to.deep.equal({ executions: 5, steps: 15, skipped: 1 });
      const rows = await t.db.sql.query('SELECT id, state, output, error, rev FROM executions WHERE tenant_id = $1 AND subject = $2', [tenantId, subject]);
      for (const r of rows) {
        const text = JSON.stringify(r);
        if (r.id === 'running-1') {
          expect(text).to.include('+966559999999');
          continue;
        }
        expect(text, String(r.id)).to.not.include('+966559999999').and.not.include('سارة');
        const st = JSON.parse(String(r.state)) as { tokens: { input: unknown; lastError: { code: string } }[]; status: string; nextSeq: number };
        expect(st.tokens[0]!.input).to.deep.equal(ERASED);
        expect(st.tokens[0]!.lastError.code).to.equal('E');
        expect(st.nextSeq).to.equal(2);
        expect(JSON.parse(String(r.output))).to.deep.equal(ERASED);
        expect(JSON.parse(String(r.error))).to.deep.include({ code: 'X', node: 'n' });
        expect(Number(r.rev)).to.equal(1);
      }
      const steps = await t.db.sql.query("SELECT execution_id, input, output, error, logs FROM execution_steps WHERE tenant_id = $1 AND execution_id LIKE 'done-%'", [tenantId]);
      expect(steps).to.have.length(15);
      for (const s of steps) expect(JSON.stringify(s)).to.not.include('+966559999999');
      const untouched = await t.db.sql.query("SELECT state FROM executions WHERE id IN ('someone-else', 'other-tenant')");
      for (const r of untouched) expect(String(r.state)).to.include('+966559999999');
      const untouchedSteps = await t.db.sql.query("SELECT input FROM execution_steps WHERE execution_id IN ('someone-else', 'other-tenant')");
      expect(untouchedSteps).to.have.length(6);
      for (const s of untouchedSteps) expect(String(s.input)).to.include('+966559999999');
      // Idempotent.
      expect(await new SubjectData(t.db, tenantId).redactExecutions(subject)).to.deep.include({ executions: 5, skipped: 1 });
    });
  });
}
