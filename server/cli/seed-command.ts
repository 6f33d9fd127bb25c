// `npm run seed` / `tadfuq seed`: (re)seed the store the environment names (DATABASE_URL, or
// SQLite under TADFUQ_DATA_DIR, default ./data): the demo tenant, its flows, and the demo
// users with their documented passwords and roles restored.
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { createContext } from '../app-context.js';
import { seedDemoTenant } from '../../seeds/demo-tenant.js';
import { demoCredentialsBanner } from '../../seeds/demo-users.js';

export async function seedCommand(env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Promise<number> {
  const config = loadConfig(env);
  const ctx = await createContext(config, pino({ level: 'warn' }));
  try {
    const seeded = await seedDemoTenant(ctx, { reset: true });
    out.write(`seeded ${ctx.db.dialect} store${ctx.db.dialect === 'sqlite' ? ` in ${config.dataDir}` : ''}: tenant demo (${seeded.tenantId}), flows republished: ${seeded.published.join(', ') || 'none changed'}\n`);
    out.write(demoCredentialsBanner() + '\n');
    return 0;
  } finally {
    await ctx.close();
  }
}
