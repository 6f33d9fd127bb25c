// Which params name credentials (read from the node types' schemas), and the gallery loader.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRegistry } from '../../nodes/registry.js';
import { credentialParamsOf, exportTemplate, loadGallery, planImport, summarize, type TemplateDoc } from '../../server/templates/index.js';
import { template, webhookFlow } from './helpers.js';

describe('templates: credential params', () => {
  const registry = createRegistry();

  it('are found through x-credential-types, nested ones included', () => {
    expect(credentialParamsOf(registry.get('http.request')!)).to.deep.equal([{ pointer: '/credential', accepts: ['http-bearer', 'http-header'] }]);
    expect(credentialParamsOf(registry.get('trigger.webhook')!)).to.deep.equal([{ pointer: '/signature/credential', accepts: ['webhook-hmac'] }]);
    expect(credentialParamsOf(registry.get('data.set')!)).to.deep.equal([]);
  });

  it('a webhook signature credential round-trips as a ref', () => {
    const label = { en: 'Signing secret', ar: 'سر التوقيع' };
    const signed = webhookFlow('signed', 'signed');
    signed.nodes[0]!.params = { path: 'signed', signature: { credential: 'signing' } };
    const t = template({ credentials: [{ ref: 'signing', type: 'webhook-hmac', label }] }, [{ key: 'signed', definition: signed }]);
    const tenantCredentials = [{ name: 'Website form secret', type: 'webhook-hmac' }];
    const p = planImport({ template: t, credentials: { signing: 'Website form secret' }, variables: {}, registry, tenantCredentials });
    expect(p.errors).to.deep.equal([]);
    expect(p.flows[0]!.definition.nodes[0]!.params).to.deep.include({ signature: { credential: 'Website form secret', header: 'X-Tadfuq-Signature', toleranceSeconds: 300 } });
    const wrong = planImport({ template: t, credentials: { signing: 'Website form secret' }, variables: {}, registry, tenantCredentials: [{ name: 'Website form secret', type: 'http-bearer' }] });
    expect(wrong.errors.map((e) => `${e.path} ${e.code}`)).to.deep.equal(['/body/credentials/signing credential_type_mismatch']);
    const r = exportTemplate({ flows: [{ flowId: 'f', definition: p.flows[0]!.definition }], manifest: t.manifest, credentials: tenantCredentials, registry, now: new Date() });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.template.manifest.credentials).to.deep.equal(t.manifest.credentials);
    expect((r.template.flows[0]!.definition as { nodes: { params: { signature: unknown } }[] }).nodes[0]!.params.signature).to.deep.include({ credential: 'signing' });
  });
});

describe('templates: gallery loader', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tadfuq-gallery-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads valid files, skips the rest with their problems, and summarises', async () => {
    const good = template({ id: 'good' }, [{ key: 'main', definition: webhookFlow('Main flow', 'x', [{ id: 'set', type: 'data.set', params: { fields: {} } }]) }]);
    await writeFile(path.join(dir, 'a-good.json'), JSON.stringify(good));
    await writeFile(path.join(dir, 'b-same-id.json'), JSON.stringify(good));
    await writeFile(path.join(dir, 'c-not-json.json'), '{ nope');
    await writeFile(path.join(dir, 'd-not-a-template.json'), JSON.stringify({ hello: 1 }));
    await writeFile(path.join(dir, 'ignored.txt'), 'x');
    const g = await loadGallery(dir);
    expect(g.templates.map((t) => t.manifest.id)).to.deep.equal(['good']);
    expect(g.problems.map((p) => p.file)).to.deep.equal(['b-same-id.json', 'c-not-json.json', 'd-not-a-template.json']);
    expect(g.problems[0]!.errors[0]).to.include({ path: '/manifest/id', code: 'duplicate' });
    const s = summarize(g.templates[0] as TemplateDoc);
    expect(s).to.deep.include({ id: 'good', version: '1.2.3', nodeTypes: ['data.set', 'trigger.webhook'], flows: [{ key: 'main', name: 'Main flow' }] });
  });

  it('an absent folder is an empty gallery', async () => {
    expect(await loadGallery(path.join(dir, 'missing'))).to.deep.equal({ templates: [], problems: [] });
  });
});
