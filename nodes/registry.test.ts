// The registry as a whole, and the core nodes run through the engine's own stepper and step
// runner (no storage): flows validate, expressions resolve, ports route, failures reach `error`.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { validateFlow, type ExecutionState, type Flow } from '../engine/index.js';
import { coreNodes, createRegistry } from './registry.js';
import { FIXED_NOW } from './testing/run-node.js';
import { driveFlow } from './testing/drive-flow.js';

/** Runs a flow to its end in memory (timers fire at once) and returns its final state. */
const drive = async (flow: Flow, trigger: string, payload: unknown): Promise<ExecutionState> => (await driveFlow(flow, { trigger, payload, at: FIXED_NOW })).state;

const here = fileURLToPath(new URL('.', import.meta.url));
const ARABIC = /[\u0600-\u06FF]/;

function validFlow(doc: unknown): Flow {
  const result = validateFlow(doc, createRegistry());
  if (!result.ok) throw new Error(JSON.stringify(result.errors, null, 2));
  return result.flow;
}

describe('core node registry', () => {
  it('registers every core node once, with bilingual metadata and ports', () => {
    const registry = createRegistry();
    expect(registry.list().map((t) => t.type)).to.deep.equal([
      'trigger.manual',
      'trigger.webhook',
      'trigger.schedule',
      'trigger.event',
      'logic.if',
      'logic.switch',
      'data.set',
      'time.delay',
      'wait.event',
      'http.request',
      'code',
      'ai.score',
      'ai.agent',
      'consent.check',
      'send.whatsapp',
      'send.sms',
      'send.email',
      'escalate',
      'crm.update',
    ]);
    for (const t of coreNodes) {
      expect(t.label.en, t.type).to.be.a('string').and.not.equal('');
      expect(t.label.ar, t.type).to.match(ARABIC);
      expect(t.description.en, t.type).to.be.a('string').and.not.equal('');
      expect(t.description.ar, t.type).to.match(ARABIC);
      expect(t.icon, t.type).to.match(/^[a-z][a-z0-9-]*$/);
      expect(t.params, t.type).to.include({ type: 'object', additionalProperties: false });
      if (Array.isArray(t.outputs)) {
        for (const p of t.outputs) expect(p.label.ar, `${t.type}:${p.port}`).to.match(ARABIC);
      }
    }
  });

  it('every node file has a test file beside it', () => {
    const files = readdirSync(here);
    for (const file of files.filter((f) => f.endsWith('.node.ts'))) {
      expect(files, file).to.include(file.replace(/\.ts$/, '.test.ts'));
    }
    const names = files.filter((f) => f.endsWith('.node.ts')).map((f) => f.replace(/\.node\.ts$/, '').replace(/-/g, '.'));
    expect(names.sort()).to.deep.equal(coreNodes.map((t) => t.type).sort());
  });

  it('validates the demo seed flow', () => {
    const doc: unknown = JSON.parse(readFileSync(new URL('../seeds/flows/lead-intake.json', import.meta.url), 'utf8'));
    expect(validateFlow(doc, createRegistry()).errors).to.deep.equal([]);
  });

  it('runs the demo seed flow end to end', async () => {
    const doc: unknown = JSON.parse(readFileSync(new URL('../seeds/flows/lead-intake.json', import.meta.url), 'utf8'));
    const flow = validFlow(doc);
    const state = await drive(flow, 'webhook', { body: { name: '  Noura ', company: 'Najd Co', budget_sar: '75000' }, query: {}, headers: {} });
    expect(state.status).to.equal('succeeded');
    expect(state.output).to.deep.equal({
      name: 'Noura',
      company: 'Najd Co',
      budgetHalalas: 7_500_000,
      receivedAt: '2026-03-01T12:00:00.000+03:00',
      tier: 'hot',
    });
  });

  it('routes switch cases, delays and http failures to the error port', async () => {
    const flow = validFlow({
      schemaVersion: 1,
      name: 'mixed',
      nodes: [
        { id: 'start', type: 'trigger.manual' },
        { id: 'route', type: 'logic.switch', params: { cases: [{ port: 'vip', condition: '=vip' }] } },
        { id: 'wait', type: 'time.delay', params: { seconds: 3600 } },
        { id: 'call', type: 'http.request', params: { url: 'http://127.0.0.1:9/crm' } },
        { id: 'failed', type: 'data.set', params: { fields: { 'result.failed': '=error.code' } } },
        { id: 'plain', type: 'data.set', params: { fields: { 'result.plain': true } } },
      ],
      edges: [
        { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'route', port: 'in' } },
        { id: 'e2', from: { node: 'route', port: 'vip' }, to: { node: 'wait', port: 'in' } },
        { id: 'e3', from: { node: 'wait', port: 'out' }, to: { node: 'call', port: 'in' } },
        { id: 'e4', from: { node: 'call', port: 'error' }, to: { node: 'failed', port: 'in' } },
        { id: 'e5', from: { node: 'route', port: 'default' }, to: { node: 'plain', port: 'in' } },
      ],
    });
    const vip = await drive(flow, 'start', { vip: true });
    expect(vip.status).to.equal('succeeded');
    expect((vip.output as { result: unknown }).result).to.deep.equal({ failed: 'address_not_allowed' });
    const plain = await drive(flow, 'start', { vip: false });
    expect(plain.output).to.deep.equal({ vip: false, result: { plain: true } });
  });

  it('reports node check() errors and unknown switch ports through validateFlow', () => {
    const result = validateFlow(
      {
        schemaVersion: 1,
        name: 'bad',
        nodes: [
          { id: 'cron', type: 'trigger.schedule', params: { cron: '61 * * * *' } },
          { id: 'route', type: 'logic.switch', params: { cases: [{ port: 'hot', condition: true }] } },
        ],
        edges: [
          { id: 'e1', from: { node: 'cron', port: 'out' }, to: { node: 'route', port: 'in' } },
          { id: 'e2', from: { node: 'route', port: 'cold' }, to: { node: 'route', port: 'in' } },
        ],
      },
      createRegistry(),
    );
    const codes = result.errors.map((e) => `${e.path} ${e.code}`);
    expect(codes).to.include('/nodes/0/params/cron invalid_cron');
    expect(codes).to.include('/edges/1/from/port unknown_port');
  });
});
