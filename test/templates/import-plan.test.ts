// Import planning (pure): every problem at once with its path, credential mapping, variables,
// webhook conflicts, and what an import remembers for the export.
import { expect } from 'chai';
import type { FlowError } from '../../engine/index.js';
import { planImport, webhookConflicts, originOf, paramSourcesOf, type ImportInput } from '../../server/templates/index.js';
import { template, templateRegistry, webhookFlow } from './helpers.js';

const registry = templateRegistry();
const label = { en: 'Label', ar: 'تسمية' };
const tenantCredentials = [
  { name: 'Our CRM token', type: 'http-bearer' },
  { name: 'Slack header', type: 'http-header' },
  { name: 'SMTP', type: 'smtp' },
];

function plan(overrides: Partial<ImportInput>) {
  return planImport({ template: undefined, credentials: {}, variables: {}, registry, tenantCredentials, ...overrides });
}

function has(errors: FlowError[], path: string, code: string): void {
  expect(errors.some((e) => e.path === path && e.code === code), `expected ${code} at ${path} in ${JSON.stringify(errors, null, 1)}`).to.equal(true);
}

const authed = (id: string, params: Record<string, unknown>) => ({ id, type: 'test.authed', params });

describe('templates: import planning', () => {
  it('reports every problem at once: schema, node types, flow errors, credentials, variables', () => {
    const broken = webhookFlow('broken', 'in', [
      { id: 'a', type: 'no.such.node', params: {} },
      { id: 'b', type: 'data.set', params: { fields: { x: '=(' } } },
      authed('c', { credential: 'nope' }),
    ]);
    const t = template(
      {
        credentials: [
          { ref: 'crm', type: 'http-bearer', label },
          { ref: 'chat', type: 'http-header', label },
          { ref: 'mail', type: 'smtp', label },
        ],
        variables: [{ name: 'url', label, required: true }, { name: 'n', label, default: 5 }],
      },
      [{ key: 'one', definition: broken }],
    ) as unknown as { manifest: Record<string, unknown> };
    t.manifest.surprise = 1;
    const { errors, flows } = plan({ template: t, credentials: { chat: 'Missing one', mail: 'Our CRM token', typo: 'x' }, variables: { n: 'five', other: 1 } });
    expect(flows).to.deep.equal([]);
    has(errors, '/body/template/manifest/surprise', 'unknown_property');
    has(errors, '/body/template/flows/0/definition/nodes/1/type', 'unknown_node_type');
    has(errors, '/body/template/flows/0/definition/nodes/2/params/fields/x', 'expression_syntax');
    has(errors, '/body/template/flows/0/definition/nodes/3/params/credential', 'undeclared_credential_ref');
    has(errors, '/body/credentials/crm', 'required');
    has(errors, '/body/credentials/chat', 'unknown_credential');
    has(errors, '/body/credentials/mail', 'credential_type_mismatch');
    has(errors, '/body/credentials/typo', 'unknown_credential_ref');
    has(errors, '/body/variables/url', 'required');
    has(errors, '/body/variables/n', 'invalid_type');
    has(errors, '/body/variables/other', 'unknown_variable');
  });

  it('maps refs to the tenant credentials and remembers the mapping and the values', () => {
    const def = webhookFlow('calls', '{{path}}', [authed('call', { credential: 'crm', url: 'https://{{host}}/leads' }), authed('other', { credential: 'chat' })]);
    const t = template(
      { credentials: [{ ref: 'crm', type: 'http-bearer', label }, { ref: 'chat', type: 'http-header', label }], variables: [{ name: 'host', label, required: true }, { name: 'path', label, default: 'leads' }] },
      [{ key: 'calls', definition: def }],
    );
    const p = plan({ template: t, credentials: { crm: 'Our CRM token', chat: 'Slack header' }, variables: { host: 'crm.example' } });
    expect(p.errors).to.deep.equal([]);
    const flow = p.flows[0]!.definition;
    expect(flow.nodes[0]!.params).to.include({ path: 'leads' });
    expect(flow.nodes[1]!.params).to.deep.equal({ credential: 'Our CRM token', url: 'https://crm.example/leads' });
    expect(flow.nodes[2]!.params).to.deep.equal({ credential: 'Slack header' });
    expect(paramSourcesOf(flow.nodes[1]!)).to.deep.equal({ '/url': 'https://{{host}}/leads' });
    const origin = originOf(flow)!;
    expect(origin).to.include({ id: 'test-template', version: '1.2.3', key: 'calls' });
    expect(origin.values).to.deep.equal({ path: 'leads', host: 'crm.example' });
    expect(origin.credentials.map((c) => [c.ref, c.name])).to.deep.equal([['crm', 'Our CRM token'], ['chat', 'Slack header']]);
    expect(p.webhooks).to.deep.equal([{ method: 'POST', path: 'leads', errorPaths: ['/body/variables/path'] }]);
    // The template itself is untouched.
    expect(t.flows[0]!.definition).to.deep.equal(def);
  });

  it('refuses a ref whose type the node does not accept', () => {
    const t = template({ credentials: [{ ref: 'mail', type: 'smtp', label }] }, [{ key: 'k', definition: webhookFlow('f', 'p', [authed('call', { credential: 'mail' })]) }]);
    const { errors } = plan({ template: t, credentials: { mail: 'SMTP' } });
    expect(errors.map((e) => `${e.path} ${e.code}`)).to.deep.equal(['/body/template/flows/0/definition/nodes/1/params/credential credential_type_not_accepted']);
  });

  it('blames the variable when its value makes a param invalid', () => {
    const t = template({ variables: [{ name: 'path', label, default: 'ok' }] }, [{ key: 'k', definition: webhookFlow('f', '{{path}}') }]);
    const { errors } = plan({ template: t, variables: { path: 'bad path//' } });
    expect(errors).to.have.length.greaterThan(0);
    for (const e of errors) expect(e.path).to.equal('/body/variables/path');
    expect(errors[0]!.message).to.contain('/body/template/flows/0/definition/nodes/0/params/path');
  });

  it('reports placeholders of undeclared variables in the template', () => {
    const t = template({}, [{ key: 'k', definition: webhookFlow('f', 'p', [{ id: 's', type: 'data.set', params: { fields: { a: '{{ghost}}' } } }]) }]);
    const { errors } = plan({ template: t });
    expect(errors.map((e) => `${e.path} ${e.code}`)).to.deep.equal(['/body/template/flows/0/definition/nodes/1/params/fields/a unknown_variable']);
  });

  it('webhook paths: two flows of the template on one path, and paths the tenant already uses', () => {
    const t = template({}, [
      { key: 'a', definition: webhookFlow('a', 'same') },
      { key: 'b', definition: webhookFlow('b', 'same') },
      { key: 'c', definition: webhookFlow('c', 'taken') },
    ]);
    const p = plan({ template: t });
    expect(p.errors.map((e) => `${e.path} ${e.code}`)).to.deep.equal(['/body/template/flows/1/definition/nodes/0/params/path duplicate_webhook_path']);
    const conflicts = webhookConflicts(p.webhooks, (method, path) => method === 'POST' && path === 'taken');
    expect(conflicts.map((e) => `${e.path} ${e.code}`)).to.deep.equal(['/body/template/flows/2/definition/nodes/0/params/path webhook_path_taken']);
  });

  it('reports under other base paths (gallery imports have no template in the body)', () => {
    const t = template({ variables: [{ name: 'x', label, required: true }] }, [{ key: 'k', definition: webhookFlow('f', 'p', [{ id: 'bad', type: 'nope' }]) }]);
    const { errors } = plan({ template: t, paths: { template: '/template' } });
    has(errors, '/template/flows/0/definition/nodes/1/type', 'unknown_node_type');
    has(errors, '/body/variables/x', 'required');
  });

  it('a template that is not an object is one error, not a crash', () => {
    for (const t of [null, 'x', [], 3]) {
      const { errors, flows } = plan({ template: t });
      expect(errors.length, JSON.stringify(t)).to.be.greaterThan(0);
      expect(flows).to.deep.equal([]);
    }
  });
});
