// db/sql-run-store.ts commits a segment as ONE script (one round trip: values inlined as
// literals, the revision guard inside the transaction). These pin what that must keep: a
// stale revision writes nothing and names its execution; batch-mates of a stale write still
// commit; any text (quotes, backslashes, Arabic, JSON escapes, NUL) and number round-trips.
import { expect } from 'chai';
import fc from 'fast-check';
import { ExecutionConflict, initialState, type ExecutionWrite, type StepRecord } from '../../engine/index.js';
import { SqlRunStore, TenantRepository } from '../../db/index.js';
import { createTestDatabase, requirePostgres, DIALECTS, type TestDatabase } from '../helpers/databases.js';

function write(tenantId: string, id: string, rev: number, output: unknown, extra: Partial<StepRecord> = {}): ExecutionWrite {
  const state = { ...initialState(id, new Date(1_700_000_000_000).toISOString()), status: 'succeeded' as const, output };
  const step: StepRecord = { id: `${id}:1`, executionId: id, seq: 1, node: 'n1', nodeType: 'data.set', attempt: 1, status: 'succeeded', port: 'out', input: null, output, error: null, logs: [], startedAt: state.startedAt, finishedAt: state.startedAt, ...extra };
  return {
    meta: { id, tenantId, flowId: 'f', flowVersion: 1, subject: null, mode: 'manual' },
    rev,
    lease: null,
    status: 'succeeded',
    state,
    output,
    error: null,
    steps: [step],
    waits: [],
    clearWaits: [],
    starts: 0,
  };
}

for (const dialect of DIALECTS) {
  describe(`SqlRunStore one-script commits (${dialect})`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase;
    let tenantId: string;
    let store: SqlRunStore;
    let n = 0;
    // PostgreSQL text cannot hold NUL at all (either way of writing); SQLite can.
    const textOf = (s: string) => (dialect === 'postgres' ? s.replaceAll('\u0000', '') : s);
    const newId = () => `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`;

    before(async function () {
      if (dialect === 'postgres') await requirePostgres(this);
      tdb = await createTestDatabase(dialect);
      tenantId = (await new TenantRepository(tdb.db).ensure('t1', 'T1')).id;
      store = new SqlRunStore(tdb.db.sql);
    });
    after(async () => {
      await tdb?.db.close();
      await tdb?.drop();
    });

    it('a stale revision writes nothing and names its execution', async () => {
      const id = newId();
      await store.commit(write(tenantId, id, 1, { v: 1 }));
      const err = await store.commit(write(tenantId, id, 1, { v: 2 }, { id: `${id}:2`, seq: 2 })).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(ExecutionConflict);
      expect((err as ExecutionConflict).message).to.include(id);
      const steps = await tdb.db.sql.query('SELECT id FROM execution_steps WHERE execution_id = $1', [id]);
      expect(steps.map((r) => r.id)).to.deep.equal([`${id}:1`]);
      expect((await store.loadExecution(id))?.state.output).to.deep.equal({ v: 1 });
    });

    it('batch-mates of a stale write still commit', async () => {
      const stale = newId();
      await store.commit(write(tenantId, stale, 1, 'first'));
      const good = [newId(), newId()];
      const outcomes = await Promise.all([
        store.commit(write(tenantId, good[0]!, 1, 'a')).then(() => 'ok', () => 'conflict'),
        store.commit(write(tenantId, stale, 1, 'again')).then(() => 'ok', (e: unknown) => (e instanceof ExecutionConflict ? 'conflict' : String(e))),
        store.commit(write(tenantId, good[1]!, 1, 'b')).then(() => 'ok', () => 'conflict'),
      ]);
      expect(outcomes).to.deep.equal(['ok', 'conflict', 'ok']);
      expect((await store.loadExecution(good[1]!))?.state.output).to.equal('b');
    });

    it('any text and number round-trips exactly (quotes, backslashes, Arabic, NUL)', async () => {
      const samples: unknown[] = ["it's", 'back\\slash \\\' mix', 'تدفق — "عميل"', 'nul\u0000inside', { deep: ["'", '\\', '\u2028'] }, 1e21, -0.000123, Number.MAX_SAFE_INTEGER];
      for (const output of samples) {
        const id = newId();
        await store.commit(write(tenantId, id, 1, output, { node: typeof output === 'string' ? textOf(output.slice(0, 20)) : 'n1' }));
        expect((await store.loadExecution(id))?.state.output, JSON.stringify(output)).to.deep.equal(output);
      }
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), fc.string({ unit: 'binary' }).map(textOf), async (output, node) => {
          const id = newId();
          await store.commit(write(tenantId, id, 1, output, { node }));
          const [row] = await tdb.db.sql.query('SELECT node_id FROM execution_steps WHERE execution_id = $1', [id]);
          expect(row?.node_id).to.equal(node);
          expect(JSON.stringify((await store.loadExecution(id))?.state.output)).to.equal(JSON.stringify(output));
        }),
        { numRuns: 60 },
      );
    });
  });
}
