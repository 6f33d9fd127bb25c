import { expect } from 'chai';
import { redactHeaders, triggerWebhookNode } from './trigger-webhook.node.js';
import { checkParams, portOutput, runNode, validateParams } from './testing/run-node.js';

describe('trigger.webhook', () => {
  describe('redactHeaders', () => {
    it('drops credential headers in any case and keeps the rest', () => {
      const headers = {
        Authorization: 'Bearer abc',
        'proxy-authorization': 'Basic x',
        Cookie: 'sid=1',
        'set-cookie': ['a=1', 'b=2'],
        'X-Api-Key': 'k',
        'x-auth-token': 't',
        'X-Tadfuq-Signature': 'sha256=1',
        'x-hub-signature': 'sha1=1',
        'x-hub-signature-256': 'sha256=2',
        'x-client-secret': 's',
        'X-CSRF-TOKEN': 't',
        'x-tokenized': 'y',
        'content-type': 'application/json',
        'user-agent': 'curl/8',
        'x-forwarded-for': ['1.2.3.4', '5.6.7.8'],
        'x-empty': undefined,
      };
      expect(redactHeaders(headers)).to.deep.equal({
        'content-type': 'application/json',
        'user-agent': 'curl/8',
        'x-forwarded-for': ['1.2.3.4', '5.6.7.8'],
      });
    });

    it('is pure', () => {
      const forwarded = ['1.2.3.4'];
      const headers = { authorization: 'x', 'x-forwarded-for': forwarded };
      const out = redactHeaders(headers);
      expect(headers).to.deep.equal({ authorization: 'x', 'x-forwarded-for': ['1.2.3.4'] });
      expect(out['x-forwarded-for']).to.not.equal(forwarded);
    });

    it('keeps a header named __proto__ as data', () => {
      const headers = JSON.parse('{"__proto__": "x", "a": "b"}') as Record<string, string>;
      const out = redactHeaders(headers);
      expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
      expect(Object.keys(out)).to.deep.equal(['__proto__', 'a']);
    });
  });

  it('defaults method to POST and respond to immediately', () => {
    expect(validateParams(triggerWebhookNode, { path: 'leads/new' })).to.deep.equal({
      ok: true,
      params: { path: 'leads/new', method: 'POST', respond: 'immediately' },
    });
  });

  it('refuses bad paths, methods and respond modes', () => {
    expect(checkParams(triggerWebhookNode, {}).map((e) => e.code)).to.deep.equal(['required']);
    for (const path of ['/leads', '', '../etc', 'a b', 'x'.repeat(201), 'leads?x=1']) {
      expect(checkParams(triggerWebhookNode, { path }), path).to.have.length.greaterThan(0);
    }
    expect(checkParams(triggerWebhookNode, { path: 'a//b' })).to.deep.equal([
      { path: '/path', code: 'invalid_value', message: 'path must not end with "/" or contain "//"' },
    ]);
    expect(checkParams(triggerWebhookNode, { path: 'a/' })[0]?.code).to.equal('invalid_value');
    expect(checkParams(triggerWebhookNode, { path: 'a', method: 'TRACE' })[0]?.path).to.equal('/method');
    expect(checkParams(triggerWebhookNode, { path: 'a', respond: 'later' })[0]?.path).to.equal('/respond');
    expect(checkParams(triggerWebhookNode, { path: 'Leads/new_2-x', method: 'PUT', respond: 'onFinish' })).to.deep.equal([]);
  });

  it('outputs body, query and headers without credentials', async () => {
    const input = {
      body: { name: 'Ahmed' },
      query: { src: 'ads' },
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret', 'x-webhook-secret': 'abc' },
    };
    const { result } = await runNode(triggerWebhookNode, { params: { path: 'leads' }, input });
    expect(portOutput(result)).to.deep.equal({
      port: 'out',
      output: { body: { name: 'Ahmed' }, query: { src: 'ads' }, headers: { 'content-type': 'application/json' } },
    });
    expect(input.headers.authorization).to.equal('Bearer secret');
  });

  it('passes other inputs on unchanged', async () => {
    const { result } = await runNode(triggerWebhookNode, { params: { path: 'leads' }, input: 'raw' });
    expect(portOutput(result)).to.deep.equal({ port: 'out', output: 'raw' });
  });

  describe('webhook(): the route its params bind (what the server reads, defaults here only)', () => {
    it('applies the schema defaults: POST, respond immediately, no signature', () => {
      expect(triggerWebhookNode.webhook!({ path: 'leads/new' })).to.deep.equal({ method: 'POST', path: 'leads/new', respond: 'immediately', signature: null });
    });
    it('reads method (upper-cased), respond and the signature with its default header and tolerance', () => {
      expect(triggerWebhookNode.webhook!({ path: 'x', method: 'put', respond: 'onFinish', signature: { credential: 'hook' } })).to.deep.equal({
        method: 'PUT',
        path: 'x',
        respond: 'onFinish',
        signature: { credential: 'hook', header: 'x-tadfuq-signature', toleranceSeconds: 300 },
      });
    });
    it('is lenient with an incomplete draft: no params is an empty path', () => {
      expect(triggerWebhookNode.webhook!(undefined)).to.deep.equal({ method: 'POST', path: '', respond: 'immediately', signature: null });
    });
  });
});
