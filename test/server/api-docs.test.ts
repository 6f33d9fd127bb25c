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
