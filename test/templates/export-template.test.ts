// Export (pure): credential names -> refs, the literal-secret scan, placeholders restored only
// where the import put them, and import -> export giving the template back.
import { expect } from 'chai';
import type { Flow } from '../../engine/index.js';
import { exportTemplate, isConstantExpression, isSecretName, literalSecrets, planImport, templateShapeErrors, type ExportInput } from '../../server/templates/index.js';
import { template, templateRegistry, webhookFlow } from './helpers.js';

const registry = templateRegistry();
const label = { en: 'Label', ar: 'تسمية' };
const now = new Date('2026-03-01T06:00:00Z');
const manifest = { name: { en: 'My Flows', ar: 'تدفقاتي' }, description: { en: 'd', ar: 'و' } };
const credentials = [
  { name: 'Our CRM token', type: 'http-bearer' },
  { name: 'Our CRM token!', type: 'http-bearer' },
];

function run(flows: Flow[], extra: Partial<ExportInput> = {}) {
  return exportTemplate({ flows: flows.map((definition, i) => ({ flowId: `f${i}`, definition })), manifest, credentials, registry, now, ...extra });
}

const http = (id: string, params: Record<string, unknown>) => ({ id, type: 'http.request', params: { url: 'https://api.example/x', ...params } });

describe('templates: secret scan', () => {
  it('knows secret-looking names', () => {
    for (const n of ['Authorization', 'X-API-Key', 'x-api-key', 'apiKey', 'api_key', 'token', 'access_token', 'X-Auth-Token', 'password', 'clientSecret', 'Cookie', 'privateKey']) expect(isSecretName(n), n).to.equal(true);
    for (const n of ['Accept', 'Content-Type', 'credential', 'url', 'name', 'body']) expect(isSecretName(n), n).to.equal(false);
  });

  it('an expression of literals only is a literal in disguise; one that reads data is not', () => {
    expect(isConstantExpression('="Bearer " & "abc"')).to.equal(true);
    expect(isConstantExpression('=("abc")')).to.equal(true);
    expect(isConstantExpression('="Bearer " & $trigger.body.token')).to.equal(false);
    expect(isConstantExpression('=token')).to.equal(false);
  });

  it('lists every literal secret with its path; expressions, placeholders and bare schemes pass', () => {
    const params = {
      headers: { Authorization: 'Bearer sk_live_1', 'X-API-Key': '="k-" & "123"', Accept: 'application/json', 'X-Token': '=$trigger.body.t', Other: 'Bearer {{tok}}' },
      body: { user: { password: 'hunter2' }, list: [{ secret: 's' }], note: 'token' },
    };
    expect(literalSecrets(params, '/p').map((e) => e.path)).to.deep.equal(['/p/headers/Authorization', '/p/headers/X-API-Key', '/p/body/user/password', '/p/body/list/0/secret']);
  });
});

describe('templates: export', () => {
  it('refuses literal secrets with the exact paths, across flows', () => {
    const a = webhookFlow('a', 'a', [http('call', { headers: { Authorization: 'Bearer abc' } })]);
    const b = webhookFlow('b', 'b', [http('x', {}), http('y', { method: 'POST', body: { apiKey: 'k' } })]);
    const r = run([a, b]);
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.errors.map((e) => `${e.path} ${e.code}`)).to.deep.equal([
      '/flows/0/definition/nodes/1/params/headers/Authorization literal_secret',
      '/flows/1/definition/nodes/2/params/body/apiKey literal_secret',
    ]);
    expect(r.errors[0]!.message).to.match(/credential/);
  });

  it('turns credential names into refs with their types, one ref per credential', () => {
    const f = webhookFlow('f', 'p', [
      { id: 'a', type: 'test.authed', params: { credential: 'Our CRM token' } },
      { id: 'b', type: 'test.authed', params: { credential: 'Our CRM token!' } },
      { id: 'c', type: 'test.authed', params: { credential: 'Our CRM token' } },
    ]);
    const r = run([f]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const t = r.template;
    expect(templateShapeErrors(t)).to.deep.equal([]);
    expect(t.manifest.credentials).to.deep.equal([
      { ref: 'our-crm-token', type: 'http-bearer', label: { en: 'Our CRM token', ar: 'Our CRM token' } },
      { ref: 'our-crm-token-2', type: 'http-bearer', label: { en: 'Our CRM token!', ar: 'Our CRM token!' } },
    ]);
    const nodes = (t.flows[0]!.definition as Flow).nodes;
    expect(nodes.slice(1).map((n) => n.params?.credential)).to.deep.equal(['our-crm-token', 'our-crm-token-2', 'our-crm-token']);
    expect(JSON.stringify(t.flows)).to.not.contain('Our CRM token');
    expect(t.manifest).to.include({ id: 'my-flows', version: '1.0.0', exportedAt: now.toISOString() });
    expect(t.flows[0]!.key).to.equal('f');
  });

  it('refuses credentials that no longer exist or are chosen by expression', () => {
    const f = webhookFlow('f', 'p', [{ id: 'a', type: 'test.authed', params: { credential: 'Gone' } }, { id: 'b', type: 'test.authed', params: { credential: '=$trigger.body.c' } }]);
    const r = run([f]);
    expect(r.ok ? [] : r.errors.map((e) => `${e.path} ${e.code}`)).to.deep.equal([
      '/flows/0/definition/nodes/1/params/credential unknown_credential',
      '/flows/0/definition/nodes/2/params/credential dynamic_credential',
    ]);
  });

  const t = template(
    {
      credentials: [{ ref: 'crm', type: 'http-bearer', label }],
      variables: [{ name: 'path', label, default: 'leads' }, { name: 'host', label, required: true }, { name: 'unused', label, default: 1 }],
    },
    [{ key: 'calls', definition: webhookFlow('calls', '{{path}}', [{ id: 'call', type: 'test.authed', params: { credential: 'crm', url: 'https://{{host}}/x' } }]) }],
  );

  function imported(variables: Record<string, string>) {
    const p = planImport({ template: t, credentials: { crm: 'Our CRM token' }, variables, registry, tenantCredentials: credentials });
    expect(p.errors).to.deep.equal([]);
    return p.flows.map((f) => f.definition);
  }

  it('import -> export gives the template back (refs, placeholders, manifest)', () => {
    const r = run(imported({ host: 'crm.example' }), { manifest: { ...t.manifest } });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const { exportedAt, ...m } = r.template.manifest;
    expect(exportedAt).to.equal(now.toISOString());
    expect(m).to.deep.equal({ ...t.manifest, variables: t.manifest.variables.slice(0, 2) });
    expect(r.template.flows[0]!.key).to.equal('calls');
    const def = r.template.flows[0]!.definition as Flow;
    expect(def.nodes[0]!.params).to.include({ path: '{{path}}' });
    expect(def.nodes[1]!.params).to.deep.equal({ credential: 'crm', url: 'https://{{host}}/x' });
    expect(def.meta).to.equal(undefined);
    expect(def.nodes.map((n) => n.meta)).to.deep.equal([undefined, undefined]);
  });

  it('exports without a manifest id: the template the flows came from', () => {
    const r = run(imported({ host: 'h' }));
    expect(r.ok && r.template.manifest.id).to.equal('test-template');
    expect(r.ok && r.template.manifest.version).to.equal('1.2.3');
  });

  it('keeps a param edited since the import as it is now (its variable drops out)', () => {
    const [flow] = imported({ host: 'crm.example' });
    flow!.nodes[1]!.params!.url = 'https://elsewhere.example/y';
    const r = run([flow!]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect((r.template.flows[0]!.definition as Flow).nodes[1]!.params!.url).to.equal('https://elsewhere.example/y');
    expect(r.template.manifest.variables.map((v) => v.name)).to.deep.equal(['path']);
  });

  it('two flows imported with different values for one variable: the second keeps its values literal', () => {
    const [a] = imported({ host: 'a.example' });
    const [b] = imported({ host: 'b.example' });
    b!.nodes[0]!.params!.path = 'leads'; // same value as a: restored in both
    const r = run([a!, b!]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const [da, db] = r.template.flows.map((f) => f.definition as Flow);
    expect(da!.nodes[1]!.params!.url).to.equal('https://{{host}}/x');
    expect(db!.nodes[1]!.params!.url).to.equal('https://b.example/x');
    expect(db!.nodes[0]!.params!.path).to.equal('{{path}}');
    expect(r.template.flows.map((f) => f.key)).to.deep.equal(['calls', 'calls-2']);
  });
});
