// The demo tenant every fresh install starts with, and its flows. Idempotent: run on every
// start; a flow is republished only when its definition changed.
import leadIntake from './flows/lead-intake.json' with { type: 'json' };
import outreachSequence from './flows/outreach-sequence.json' with { type: 'json' };
import type { AppContextSeedTarget } from './seed-target.js';
import { seedDemoUsers, DEMO_USERS } from './demo-users.js';
import { seedDemoContacts } from './demo-contacts.js';

export const DEMO_TENANT = { slug: 'demo', name: 'شركة تجريبية — Demo Co' };

export const DEMO_FLOWS: { id: string; definition: unknown }[] = [
  { id: 'demo-lead-intake', definition: leadIntake },
  // The outreach sequence this product exists for; seeds/demo-activity.ts enrolls the demo contacts.
  { id: 'demo-outreach', definition: outreachSequence },
];

export interface SeedResult {
  tenantId: string;
  published: string[];
  /** Demo users created (or reset): print their credentials once. */
  users: string[];
  /** Demo contacts created (only into a tenant without contacts). */
  contacts: number;
}

export async function seedDemoTenant(target: AppContextSeedTarget, options: { reset?: boolean } = {}): Promise<SeedResult> {
  const tenant = await target.tenants.ensure(DEMO_TENANT.slug, DEMO_TENANT.name, { locale: 'ar', timezone: 'Asia/Riyadh' });
  target.tenantSettings.set(tenant.id, tenant.settings);
  const published: string[] = [];
  for (const f of DEMO_FLOWS) {
    const publish = () => target.flows(tenant.id).publishIfChanged(f.definition, f.id);
    // Processes starting together race to publish; the losers find the winner's version.
    const result = await publish().catch(() => publish());
    if (result.changed) published.push(`${f.id}@${result.version}`);
  }
  const users = await seedDemoUsers(target, tenant.id, options).catch(async (err: unknown) => {
    // Another process seeding at the same moment created them: that is the same outcome.
    if ((await target.users.byEmail('owner@demo.tadfuq.test')) && !options.reset) return [];
    throw err;
  });
  // The sales rep owns the demo contacts, so signing in as them shows a rep's own book.
  const rep = await target.users.byEmail(DEMO_USERS.find((u) => u.role === 'sales_rep')!.email);
  const contacts = await seedDemoContacts(target, tenant.id, rep?.id ?? null).catch(async (err: unknown) => {
    // Another process seeding at the same moment: it created them.
    const [row] = await target.db.sql.query('SELECT COUNT(*) AS n FROM contacts WHERE tenant_id = $1', [tenant.id]);
    if (Number(row?.n ?? 0) > 0) return 0;
    throw err;
  });
  return { tenantId: tenant.id, published, users, contacts };
}
