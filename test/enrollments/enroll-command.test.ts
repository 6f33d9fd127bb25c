// `tadfuq enroll` (server/cli/enroll-command.ts) against an embedded SQLite store: the same
// report as the API, CSV rows reported with their line, usage and lookup errors as exit codes,
// and the new executions driven to their first wait before the command exits.
import { expect } from 'chai';
import { pino } from 'pino';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createContext, type AppContext } from '../../server/app-context.js';
import { loadConfig } from '../../server/config.js';
import { enrollCommand } from '../../server/cli/enroll-command.js';
import { EnrollmentRepository } from '../../db/enrollment-repository.js';
import { flow } from '../helpers/runtime-harness.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await enrollCommand(args, env, out, err);
  return { code, out: out.text, err: err.text };
}

describe('tadfuq enroll', function () {
  this.timeout(60_000);
  let dataDir: string;
  let env: Record<string, string>;
  let flowId: string;
  let tenantId: string;
  const contacts: string[] = [];

  /** A context on the same store, for setting up and looking (the command opens its own). */
  async function withContext<T>(fn: (ctx: AppContext) => Promise<T>): Promise<T> {
    const ctx = await createContext(loadConfig(env), pino({ level: 'silent' }));
    try {
      return await fn(ctx);
    } finally {
      await ctx.close();
    }
  }

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-enroll-cli-'));
    env = { TADFUQ_DATA_DIR: dataDir, DATABASE_URL: '' };
    await withContext(async (ctx) => {
      tenantId = (await ctx.tenants.ensure('cli-tenant', 'CLI')).id;
      flowId = (
        await ctx.flows(tenantId).publish(
          flow(
            [
              { id: 'start', type: 'trigger.manual' },
              { id: 'hello', type: 'data.set', params: { fields: { to: '=$contact.name' } } },
              { id: 'later', type: 'time.delay', params: { seconds: 3600 } },
            ],
            [['start', 'out', 'hello'], ['hello', 'out', 'later']],
          ),
        )
      ).flowId;
      for (const [name, phone] of [['عبدالله', '0552000001'], ['أمل', '0552000002'], ['سلمان', '0552000003']] as const) {
        contacts.push((await ctx.contacts(tenantId).create({ name, phone: `+966${phone.slice(1)}` })).id);
      }
    });
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('enrolls contacts by id, prints the report and leaves each execution at its first wait', async () => {
    const r = await run(['--flow', flowId, '--tenant', 'cli-tenant', '--contacts', `${contacts[0]!},no-such-id`], env);
    expect(r.code, r.err).to.equal(0);
    const report = JSON.parse(r.out) as { flowId: string; enrolled: { contactId: string; executionId: string; enrollmentId: string }[]; skipped: { contactId: string; reason: string }[] };
    expect(report.flowId).to.equal(flowId);
    expect(report.enrolled.map((e) => e.contactId)).to.deep.equal([contacts[0]]);
    expect(report.skipped.map((s) => [s.contactId, s.reason])).to.deep.equal([['no-such-id', 'not_found']]);
    expect(r.err).to.equal('enrolled 1, skipped 1\n');
    await withContext(async (ctx) => {
      const execution = await ctx.executions(tenantId).get(report.enrolled[0]!.executionId);
      expect(execution).to.include({ status: 'waiting', subject: contacts[0], mode: 'enrollment' });
      expect(execution!.steps.find((s) => s.node === 'hello')!.output).to.deep.include({ to: 'عبدالله' });
      const enrollment = await new EnrollmentRepository(ctx.db, tenantId).get(report.enrolled[0]!.enrollmentId);
      expect(enrollment).to.deep.include({ state: 'active', enrolledBy: 'cli', contactId: contacts[0], executionId: report.enrolled[0]!.executionId });
      const audit = await ctx.audit(tenantId).list({ limit: 10, action: 'enrollments.create' });
      expect(audit[0]).to.deep.include({ actor: 'cli', target: flowId });
    });
    // Already in the flow.
    const again = await run(['--flow', flowId, '--tenant', 'cli-tenant', '--contacts', contacts[0]!], env);
    expect(JSON.parse(again.out).skipped[0].reason).to.equal('already_enrolled');
  });

  it('enrolls from a CSV, reporting bad rows with their line', async () => {
    const file = path.join(dataDir, 'list.csv');
    await writeFile(file, `phone,contact_id\n0552000002,\nnot a phone,\n,${contacts[2]!}\n`);
    const r = await run(['--flow', flowId, '--tenant', 'cli-tenant', '--csv', file], env);
    expect(r.code, r.err).to.equal(0);
    const report = JSON.parse(r.out) as { enrolled: { row: number; contactId: string }[]; skipped: { row: number; reason: string }[] };
    expect(report.enrolled.map((e) => [e.row, e.contactId])).to.deep.equal([
      [2, contacts[1]],
      [4, contacts[2]],
    ]);
    expect(report.skipped.map((s) => [s.row, s.reason])).to.deep.equal([[3, 'invalid_phone']]);
  });

  it('answers usage errors with 2 and unknown tenants or flows with 1', async () => {
    expect((await run(['--flow', flowId], env)).code).to.equal(2);
    expect((await run(['--flow', flowId, '--tenant', 'cli-tenant', '--contacts', 'a', '--csv', 'x.csv'], env)).code).to.equal(2);
    expect((await run(['--flow', flowId, '--tenant', 'cli-tenant', '--csv', path.join(dataDir, 'missing.csv')], env)).code).to.equal(2);
    const tenant = await run(['--flow', flowId, '--tenant', 'nobody', '--contacts', contacts[0]!], env);
    expect(tenant).to.deep.include({ code: 1, err: 'no tenant "nobody"\n' });
    const unknown = await run(['--flow', 'no-such-flow', '--tenant', 'cli-tenant', '--contacts', contacts[0]!], env);
    expect(unknown).to.deep.include({ code: 1, err: 'not_found: flow not found\n' });
  });
});
