// `tadfuq enroll --flow <id> --tenant <slug> (--contacts id,id | --csv file.csv)`: enroll contacts
// in a published flow in the store of DATABASE_URL / TADFUQ_DATA_DIR, as POST /enrollments does
// (same checks, same skips), and print the same report as JSON. The actor is `cli`.
//
// Queue mode (DATABASE_URL + REDIS_URL): the executions are committed and queued for the workers.
// Embedded: this process drives each new execution until it first waits or ends, then exits; the
// server (npm start) fires its waits when they come due.
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { createContext } from '../app-context.js';
import { ApiError } from '../api-error.js';
import { EnrollmentService, type SkippedItem } from '../enrollments/enrollment-service.js';
import { EnrollCsvError, parseEnrollCsv, type EnrollTarget } from '../enrollments/enroll-csv.js';

export const ENROLL_USAGE = 'tadfuq enroll --flow FLOW_ID --tenant SLUG (--contacts ID,ID,… | --csv FILE.csv)';

export async function enrollCommand(args: string[], env: NodeJS.ProcessEnv, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let values: { flow?: string; tenant?: string; contacts?: string; csv?: string };
  try {
    ({ values } = parseArgs({ args, options: { flow: { type: 'string' }, tenant: { type: 'string' }, contacts: { type: 'string' }, csv: { type: 'string' } } }));
  } catch (e) {
    err.write(`${(e as Error).message}\nusage: ${ENROLL_USAGE}\n`);
    return 2;
  }
  if (!values.flow || !values.tenant || (values.contacts === undefined) === (values.csv === undefined)) {
    err.write(`usage: ${ENROLL_USAGE}\n`);
    return 2;
  }
  let targets: EnrollTarget[];
  let skipped: SkippedItem[] = [];
  if (values.csv !== undefined) {
    let text: string;
    try {
      text = await readFile(values.csv, 'utf8');
    } catch (e) {
      err.write(`cannot read ${values.csv}: ${(e as Error).message}\n`);
      return 2;
    }
    try {
      const parsed = parseEnrollCsv(text);
      targets = parsed.targets;
      skipped = parsed.errors;
    } catch (e) {
      if (!(e instanceof EnrollCsvError)) throw e;
      err.write(`${values.csv}: ${e.code}: ${e.message}\n`);
      return 1;
    }
  } else {
    targets = [...new Set(values.contacts!.split(',').map((s) => s.trim()).filter(Boolean))].map((contactId) => ({ contactId }));
    if (targets.length === 0) {
      err.write(`--contacts names no contact\nusage: ${ENROLL_USAGE}\n`);
      return 2;
    }
  }

  const ctx = await createContext(loadConfig(env), pino({ level: 'warn' }));
  try {
    const tenant = await ctx.tenants.bySlug(values.tenant);
    if (!tenant) {
      err.write(`no tenant "${values.tenant}"\n`);
      return 1;
    }
    const service = ctx.contactExits instanceof EnrollmentService ? ctx.contactExits : new EnrollmentService({ db: ctx.db, runtime: ctx.runtime, registry: ctx.registry, log: ctx.log });
    const report = await service.enroll(tenant.id, values.flow, targets, { actor: 'cli', skipped, source: 'cli' });
    out.write(JSON.stringify(report, null, 2) + '\n');
    err.write(`enrolled ${report.enrolled.length}, skipped ${report.skipped.length}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    err.write(`${e.code}: ${e.message}\n`);
    return 1;
  } finally {
    // Embedded: waits for the executions this process drives to reach their first wait or end.
    await ctx.close();
  }
}
