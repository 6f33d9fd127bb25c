// Erasure of the consent trail (issue 14): consent_events stays append-only, with one
// exception the database itself checks — an erased contact's events may have their `actor`,
// `source`, `evidence` and `details` rewritten (the erasure replaces the values that identify
// the person by keyed hashes). Everything that makes an event the proof of what happened — its
// id, tenant, contact, channel, purpose, type and time — still cannot change, and DELETE is
// still refused. A contact that is not erased keeps a trail nothing may rewrite.
import type { QueryInterface } from 'sequelize';

const FROZEN = ['id', 'tenant_id', 'contact_id', 'channel', 'purpose', 'type', 'at'];

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  if (qi.sequelize.getDialect() === 'postgres') {
    const same = FROZEN.map((c) => `NEW.${c} IS NOT DISTINCT FROM OLD.${c}`).join(' AND ');
    await qi.sequelize.query(`CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND ${same}
           AND EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = OLD.tenant_id AND c.id = OLD.contact_id AND c.erased_at IS NOT NULL) THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'consent_events is append-only';
      END $$`);
  } else {
    const same = FROZEN.map((c) => `NEW.${c} IS OLD.${c}`).join(' AND ');
    await qi.sequelize.query('DROP TRIGGER consent_events_no_update');
    await qi.sequelize.query(`CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
      WHEN NOT (${same} AND EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = OLD.tenant_id AND c.id = OLD.contact_id AND c.erased_at IS NOT NULL))
      BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END`);
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  if (qi.sequelize.getDialect() === 'postgres') {
    await qi.sequelize.query(`CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'consent_events is append-only'; END $$`);
  } else {
    await qi.sequelize.query('DROP TRIGGER consent_events_no_update');
    await qi.sequelize.query("CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END");
  }
}
