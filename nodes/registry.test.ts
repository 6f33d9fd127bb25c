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

type Schema = {
  title?: unknown;
  description?: unknown;
  'x-ar'?: { title?: unknown; description?: unknown };
  const?: unknown;
  pattern?: string;
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: unknown;
  items?: Schema;
  anyOf?: Schema[];
};

/** The expression branch of `Expr(…)` (engine/flow/flow.schema.ts ExpressionString): the engine's, never shown as a param. */
const isExpressionBranch = (s: Schema) => s.pattern === '^=';

/**
 * Where a property's text is: on its schema, or — for `Expr(value)` without text of its own —
 * on the value schema inside (the editor reads it the same way, editor/src/form/schema-prep.ts).
 */
function textHolder(s: Schema): Schema {
  if (s.title !== undefined || !s.anyOf) return s;
  const values = s.anyOf.filter((b) => !isExpressionBranch(b));
  return values.length === 1 && values.length < s.anyOf.length ? textHolder(values[0]!) : s;
}

/** What lacks English or Arabic text in a params schema: properties at any depth, literal and object branches of unions. */
function paramTextProblems(schema: Schema, at: string): string[] {
  const problems: string[] = [];
  const needsTitle = (s: Schema, where: string) => {
    if (typeof s.title !== 'string' || s.title.trim() === '') problems.push(`${where}: no English title`);
    if (typeof s['x-ar']?.title !== 'string' || !ARABIC.test(s['x-ar'].title)) problems.push(`${where}: no Arabic x-ar.title`);
  };
  const walk = (s: Schema, where: string) => {
    if (isExpressionBranch(s)) return;
    if (s.description !== undefined && (typeof s['x-ar']?.description !== 'string' || !ARABIC.test(s['x-ar'].description))) {
      problems.push(`${where}: a description without an Arabic x-ar.description`);
    }
    for (const [key, prop] of Object.entries(s.properties ?? {})) {
      needsTitle(textHolder(prop), `${where}/${key}`);
      walk(prop, `${where}/${key}`);
    }
    for (const [i, branch] of (s.anyOf ?? []).entries()) {
      if (branch.const !== undefined) needsTitle(branch, `${where}|${JSON.stringify(branch.const)}`);
      else if (branch.properties) needsTitle(branch, `${where}|variant ${i}`);
      walk(branch, `${where}|${i}`);
    }
    for (const [key, value] of Object.entries(s.patternProperties ?? {})) walk(value, `${where}{${key}}`);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties as Schema, `${where}{*}`);
    if (s.items) walk(s.items, `${where}[]`);
  };
  walk(schema, at);
  return problems;
}

describe('param text check', () => {
  it('finds what lacks a title, an Arabic title or an Arabic description, at any depth', () => {
    const schema: Schema = {
      properties: {
        ok: { title: 'A', 'x-ar': { title: 'أ' } },
        bare: {},
        expr: { anyOf: [{ title: 'E', description: 'd', 'x-ar': { title: 'هـ' } }, { pattern: '^=' }] },
        pick: { title: 'P', 'x-ar': { title: 'ب' }, anyOf: [{ const: 'x', title: 'X' }, { properties: { k: { title: 'K', 'x-ar': { title: 'ك' } } } }] },
      },
    };
    expect(paramTextProblems(schema, 't')).to.deep.equal([
      't/bare: no English title',
      't/bare: no Arabic x-ar.title',
      't/expr|0: a description without an Arabic x-ar.description',
      't/pick|"x": no Arabic x-ar.title',
      't/pick|variant 1: no English title',
      't/pick|variant 1: no Arabic x-ar.title',
    ]);
  });
});

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
      'reply.classify',
      'http.request',
      'code',
      'ai.score',
      'ai.agent',
      'consent.check',
      'send.whatsapp',
      'send.sms',
      'send.email',
      'send.message',
      'escalate',
      'crm.update',
      'payment.link',
      'proposal.pdf',
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

  it('gives every param, select option and union variant an English and an Arabic title (and description)', () => {
    const problems = coreNodes.flatMap((t) => paramTextProblems(t.params as Schema, t.type));
    expect(problems).to.deep.equal([]);
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
