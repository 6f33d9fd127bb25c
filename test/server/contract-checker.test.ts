// The response checker the contract tests use (test/helpers/contract.ts) must catch what it is
// there for: an undeclared field, a wrong type, an undeclared status, a success typed as an error.
import { expect } from 'chai';
import { Type } from '@sinclair/typebox';
import { openApiDocument } from '../../server/http/openapi.js';
import { route } from '../../server/http/route.js';
import { IdParams, Page } from '../../server/schemas/common.js';
import { FlowSummary } from '../../server/schemas/flows.js';
import { ContractChecker, type OpenApiDoc } from '../helpers/contract.js';

const summary = { id: 'f1', name: 'Leads', status: 'draft', publishedVersion: null, revision: 1, updatedAt: '2026-03-01T10:00:00.000Z', lastRunAt: null, runs7d: 0, failed7d: 0, errorRate7d: null };

describe('contract checker (test helper)', () => {
  const doc = openApiDocument(
    [
      route({ method: 'get', path: '/flows', summary: 'list', tag: 'flows', access: 'flows.read', response: Page(FlowSummary), handler: () => null }),
      route({ method: 'get', path: '/things/:id', summary: 'loose', tag: 't', access: 'flows.read', params: IdParams, response: Type.Object({ a: Type.String() }), handler: () => null }),
    ],
    { version: 'test' },
  ) as unknown as OpenApiDoc;
  const json = 'application/json; charset=utf-8';

  it('passes an answer that matches its schema, and a declared error', () => {
    const c = new ContractChecker(doc);
    c.check('get', '/api/v1/flows?limit=5', 200, { items: [summary], nextCursor: null }, json);
    c.check('get', '/api/v1/flows', 401, { error: { code: 'unauthenticated', message: 'no', details: [] } }, json);
    expect(c.take()).to.deep.equal([]);
    expect([...c.seen]).to.include('GET /api/v1/flows 200');
  });

  it('fails a field the schema does not declare, also where the schema left extra properties open by omission', () => {
    const c = new ContractChecker(doc);
    c.check('get', '/api/v1/flows', 200, { items: [{ ...summary, secret: 'x' }], nextCursor: null }, json);
    c.check('get', '/api/v1/things/1', 200, { a: 'x', b: 1 }, json);
    const problems = c.take();
    expect(problems).to.have.length(2);
    expect(problems[0]).to.include('secret');
    expect(problems[1]).to.include('(b)');
  });

  it('fails a wrong type, a missing field, an undeclared status and a non-JSON answer', () => {
    const c = new ContractChecker(doc);
    c.check('get', '/api/v1/flows', 200, { items: [{ ...summary, revision: '1' }], nextCursor: null }, json);
    c.check('get', '/api/v1/flows', 200, { items: [] }, json);
    c.check('get', '/api/v1/flows', 409, { error: { code: 'x', message: 'y', details: [] } }, json);
    c.check('get', '/api/v1/flows', 200, 'a,b', 'text/csv');
    expect(c.take()).to.have.length(4);
  });
});
