// Replay carried out by the runtimes (they share ExecutionDriver): embedded on SQLite and
// queue mode (a producer commits the seeded execution, a worker drives it from storage).
// The steps before the replayed one are not run again: the local HTTP server counts hits.
import { expect } from 'chai';
import { ReplayUnavailable, type HistoryStep } from '../../engine/index.js';
import { ExecutionRepository, FlowRepository } from '../../db/index.js';
import { createRegistry } from '../../nodes/registry.js';
import { requirePostgres } from '../helpers/databases.js';
import { requireRedis } from '../helpers/redis.js';
import { createHarness, flow, type Harness, type RuntimeKind } from '../helpers/runtime-harness.js';
import { startCounterServer, type CounterServer } from '../helpers/counter-server.js';

for (const kind of ['sqlite', 'queue'] as RuntimeKind[]) {
  describe(`replay in the runtime: ${kind === 'queue' ? 'queue mode (PostgreSQL + Redis)' : 'embedded on SQLite'}`, function () {
    this.timeout(30_000);
    let h: Harness;
    let server: CounterServer;

    before(async function () {
      if (kind !== 'sqlite') await requirePostgres(this);
      if (kind === 'queue') await requireRedis(this);
      h = await createHarness(kind);
      server = await startCounterServer();
    });
    after(async () => {
      await h?.close();
      await server?.close();
    });

    /** start → call1 (/a/<tag>) → set → call2 (/b/<tag>?who=…) → done, reading $nodes of the reused steps. */
    const doc = (tag: string): unknown =>
      flow(
        [
          { id: 'start', type: 'trigger.manual' },
          { id: 'call1', type: 'http.request', params: { url: `${server.url}/a/${tag}` } },
          { id: 'set', type: 'data.set', params: { fields: { who: '=$trigger.who' }, keepInput: false } },
          { id: 'call2', type: 'http.request', params: { url: `="${server.url}/b/${tag}?who=" & who` } },
          { id: 'done', type: 'data.set', params: { fields: { firstHit: '=$nodes.call1.output.body.hit', who: '=$nodes.set.output.who', trigger: '=$trigger.who' }, keepInput: false } },
        ],
        [['start', 'out', 'call1'], ['call1', 'out', 'set'], ['set', 'out', 'call2'], ['call2', 'out', 'done']],
      );

    async function history(executionId: string): Promise<HistoryStep[]> {
      const found = await new ExecutionRepository(h.db, h.tenantId).history(executionId);
      if (!found) throw new Error('no history');
      return found.steps;
    }

    async function failedRun(tag: string): Promise<{ id: string; flowId: string; version: number }> {
      server.failures.set(`/b/${tag}`, [500]);
      const published = await h.publish(doc(tag));
      const { executionId } = await h.runtime.startExecution({ tenantId: h.tenantId, flowId: published.flowId, flowVersion: published.version, flow: published.flow, trigger: 'start', payload: { who: 'sara' }, mode: 'manual', subject: 'lead-9', durable: true });
      const r = await h.runtime.result(executionId, true);
      expect(r.status).to.equal('failed');
      expect(r.error?.node).to.equal('call2');
      return { id: executionId, flowId: published.flowId, version: published.version };
    }

    async function startReplay(original: { id: string; flowId: string; version: number }, fromSeq: number, input?: unknown): Promise<string> {
      const steps = await history(original.id);
      const flowDoc = await new FlowRepository(h.db, createRegistry(), h.tenantId).version(original.flowId, original.version);
      if (!flowDoc) throw new Error('no flow version');
      const { executionId } = await h.runtime.startExecution({
        tenantId: h.tenantId,
        flowId: original.flowId,
        flowVersion: original.version,
        flow: flowDoc,
        trigger: 'start',
        payload: null,
        mode: 'replay',
        subject: 'lead-9',
        durable: true,
        replay: { of: original.id, plan: { steps, fromSeq, input } },
      });
      return executionId;
    }

    it('replays the failed step with the same input: earlier steps are reused, not run again', async () => {
      const original = await failedRun('same');
      expect(server.hits.get('/a/same')).to.equal(1);
      expect(server.hits.get('/b/same?who=sara')).to.equal(1);
      const id = await startReplay(original, 3);
      const r = await h.runtime.result(id, true);
      expect(r.status, JSON.stringify(r.error)).to.equal('succeeded');
      expect(r.output).to.deep.equal({ firstHit: 1, who: 'sara', trigger: 'sara' });
      expect(server.hits.get('/a/same'), 'call1 is not called again').to.equal(1);
      expect(server.hits.get('/b/same?who=sara')).to.equal(2);
      const view = await h.view(id);
      expect(view).to.include({ mode: 'replay', replayOf: original.id, subject: 'lead-9', status: 'succeeded' });
      expect(view.steps.map((s) => [s.id, s.node, s.status])).to.deep.equal([
        [`${id}:0`, 'start', 'succeeded'],
        [`${id}:1`, 'call1', 'succeeded'],
        [`${id}:2`, 'set', 'succeeded'],
        [`${id}:3`, 'call2', 'succeeded'],
        [`${id}:4`, 'done', 'succeeded'],
      ]);
      const before = await h.view(original.id);
      expect(view.steps[1]!.output, 'the reused step keeps its original output').to.deep.equal(before.steps[1]!.output);
      expect(before.status, 'the original is left as it was').to.equal('failed');
    });

    it('replays with an edited input', async () => {
      const original = await failedRun('edit');
      const id = await startReplay(original, 3, { who: 'noura' });
      const r = await h.runtime.result(id, true);
      expect(r.status, JSON.stringify(r.error)).to.equal('succeeded');
      expect(server.hits.get('/b/edit?who=noura')).to.equal(1);
      expect(server.hits.get('/b/edit?who=sara')).to.equal(1);
      expect(server.hits.get('/a/edit')).to.equal(1);
      // $nodes.set still holds the original output; the edited input went to call2 only.
      expect(r.output).to.deep.equal({ firstHit: 1, who: 'sara', trigger: 'sara' });
      const view = await h.view(id);
      expect(view.steps[3]!.input).to.deep.equal({ who: 'noura' });
    });

    it('refuses a plan the history does not support, starting nothing', async () => {
      const original = await failedRun('refuse');
      const steps = await history(original.id);
      const before = await h.db.sql.query('SELECT COUNT(*) AS n FROM executions');
      let caught: unknown;
      try {
        await startReplay(original, 42);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ReplayUnavailable);
      expect(steps.length).to.be.greaterThan(0);
      const after = await h.db.sql.query('SELECT COUNT(*) AS n FROM executions');
      expect(Number(after[0]!.n)).to.equal(Number(before[0]!.n));
    });
  });
}
