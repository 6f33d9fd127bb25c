// The API's documentation: the OpenAPI document and the Swagger UI page with its assets, served
// from the npm package (no CDN) under the strict Content-Security-Policy.
import { expect } from 'chai';
import request from 'supertest';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';

describe('API docs: /api/v1/openapi.json and /api/v1/docs', () => {
  let env: ApiEnv;
  before(async () => {
    env = await openApiEnv('sqlite', 'api-docs');
  });
  after(async () => {
    await env?.close();
  });

  it('serves the OpenAPI 3.1 document', async () => {
    const res = await request(env.app).get('/api/v1/openapi.json').expect(200);
    expect(res.body.openapi).to.match(/^3\.1/);
    expect(res.body.paths).to.have.property('/api/v1/roles');
  });

  it('documents the WhatsApp Cloud API webhook: its verification handshake and its signature; and the SMS delivery reports', async () => {
    const res = await request(env.app).get('/api/v1/openapi.json').expect(200);
    const hook = res.body.paths['/hooks/providers/whatsapp'];
    expect(hook.get.parameters.map((p: { name: string }) => p.name)).to.deep.equal(['hub.mode', 'hub.verify_token', 'hub.challenge']);
    expect(hook.get.responses).to.have.keys('200', '403');
    expect(hook.post.parameters[0]).to.deep.include({ name: 'X-Hub-Signature-256', in: 'header', required: true });
    expect(hook.post.description).to.match(/HMAC-SHA256 of the raw body/);
    expect(hook.post.responses).to.include.keys('200', '401');
    expect(res.body.paths).to.include.keys('/hooks/providers/unifonic/{tenant}/{secret}', '/hooks/providers/taqnyat/{tenant}/{secret}', '/api/v1/channels/whatsapp/templates/sync');
  });

  describe('the document is truthful', () => {
    type Op = { parameters?: { name: string; in: string; required: boolean; schema: { default?: unknown } }[]; responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: Record<string, unknown> }> }> };
    let doc: { paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, unknown> } };
    const ops = () => Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ key: `${m.toUpperCase()} ${p}`, op })));
    before(async () => {
      doc = (await request(env.app).get('/api/v1/openapi.json').expect(200)).body;
    });

    it('declares every 2xx answer as a success, never with the Error schema (publish and test-run 202s included)', () => {
      const wrong: string[] = [];
      for (const { key, op } of ops()) {
        for (const [code, answer] of Object.entries(op.responses)) {
          const ref = answer.content?.['application/json']?.schema.$ref;
          if (code.startsWith('2') && ref === '#/components/schemas/Error') wrong.push(`${key} ${code}`);
          if (!code.startsWith('2') && answer.content && ref !== '#/components/schemas/Error') wrong.push(`${key} ${code} is not an Error`);
        }
      }
      expect(wrong).to.deep.equal([]);
      const publish = doc.paths['/api/v1/flows/{id}/publish']!.post!.responses;
      expect(publish['202']!.content!['application/json']!.schema).to.have.nested.property('properties.request.$ref', '#/components/schemas/PublishRequest');
      expect(doc.paths['/api/v1/flows/{id}/test-runs']!.post!.responses['202']!.content!['application/json']!.schema.$ref).to.equal('#/components/schemas/TestRunResult');
    });

    it('no success answer is left as {} (every one names its schema)', () => {
      const empty = ops().flatMap(({ key, op }) =>
        Object.entries(op.responses)
          .filter(([code, a]) => code.startsWith('2') && code !== '204' && Object.values(a.content ?? {}).some((m) => Object.keys(m.schema).length === 0))
          .map(([code]) => `${key} ${code}`),
      );
      expect(empty).to.deep.equal([]);
    });

    it('every page answers {items, nextCursor}: no list names its cursor `next`', () => {
      const resolve = (schema: Record<string, unknown>): Record<string, unknown> => {
        const ref = schema.$ref as string | undefined;
        return ref ? (doc.components.schemas[ref.split('/').pop()!] as Record<string, unknown>) : schema;
      };
      const odd = ops().flatMap(({ key, op }) => {
        const schema = op.responses['200']?.content?.['application/json']?.schema;
        const props = (schema && (resolve(schema).properties as Record<string, unknown> | undefined)) ?? {};
        return 'next' in props ? [key] : [];
      });
      expect(odd).to.deep.equal([]);
    });

    it('a parameter with a default is optional', () => {
      const wrong = ops().flatMap(({ key, op }) => (op.parameters ?? []).filter((p) => p.required && p.schema.default !== undefined).map((p) => `${key} ${p.name}`));
      expect(wrong).to.deep.equal([]);
      const keys = doc.paths['/api/v1/api-keys']!.get!.parameters!;
      expect(keys.find((p) => p.name === 'includeRevoked')?.required).to.equal(false);
    });

    it('documents the webhooks /hooks/{tenant}/{path} with X-Execution-Id, and Retry-After on 429 and 423', () => {
      const hook = doc.paths['/hooks/{tenant}/{path}']!;
      expect(Object.keys(hook)).to.include.members(['get', 'post', 'put', 'patch', 'delete']);
      expect(hook.post!.responses['202']!.headers).to.have.property('X-Execution-Id');
      expect(hook.post!.responses['200']!.headers).to.have.property('X-Execution-Id');
      expect(hook.post!.parameters!.map((p) => p.name)).to.include('Idempotency-Key');
      expect(doc.paths['/api/v1/auth/login']!.post!.responses['429']!.headers).to.have.property('Retry-After');
      expect(doc.paths['/api/v1/auth/login']!.post!.responses['423']!.headers).to.have.property('Retry-After');
    });
  });

  it('serves the Swagger UI page, its bundle and stylesheet from the package, and our initializer (no inline script)', async () => {
    const page = await request(env.app).get('/api/v1/docs').expect(200);
    expect(page.text).to.include('swagger-ui-bundle.js').and.not.match(/<script>[^<]/);
    expect(page.headers['content-security-policy']).to.include("script-src 'self'");
    const bundle = await request(env.app).get('/api/v1/docs/swagger-ui-bundle.js').expect(200);
    expect(bundle.headers['content-type']).to.match(/javascript/);
    expect(bundle.text.length).to.be.greaterThan(100_000);
    await request(env.app).get('/api/v1/docs/swagger-ui.css').expect(200).expect('content-type', /css/);
    await request(env.app).get('/api/v1/docs/init.js').expect(200).expect(/SwaggerUIBundle/);
    await request(env.app).get('/api/v1/docs/no-such-file.js').expect(404);
  });
});
