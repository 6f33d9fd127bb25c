import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import type { CrmAccess, CrmUpdateRequest, CrmUpdateResult } from '../engine/index.js';
import { crmUpdateNode, crmWebhookAuth } from './crm-update.node.js';
import { checkParams, failureOf, FIXED_NOW, portOutput, runNode } from './testing/run-node.js';
import { startCaptureServer, type CaptureServer } from '../test/helpers/capture-server.js';

/** A fake CRM service: records requests and answers a change of `score` (and the webhook, when given). */
function fakeCrm(externalWebhook: CrmUpdateResult['externalWebhook'] = null): CrmAccess & { requests: CrmUpdateRequest[] } {
  const requests: CrmUpdateRequest[] = [];
  return {
    requests,
    async update(request) {
      requests.push(request);
      return {
        target: request.target,
        id: request.id,
        changeId: 'exec-test:3',
        changes: { score: { from: 10, to: 90 } },
        record: { id: request.id, score: 90 },
        events: ['lead.updated'],
        externalWebhook,
      };
    },
  };
}

describe('crm.update', () => {
  it('checks params: fields belong to the target, a deal needs an id, something must change', () => {
    expect(checkParams(crmUpdateNode, { target: 'contact', set: { score: 80, tier: 'hot', tags: { add: ['vip'] } } })).to.deep.equal([]);
    expect(checkParams(crmUpdateNode, { target: 'deal', id: '=$trigger.data.deal.id', set: { stage: 'won', owner: 'u1' } })).to.deep.equal([]);
    expect(checkParams(crmUpdateNode, { target: 'contact', set: { stage: 'won' } })).to.deep.equal([{ path: '/set/stage', code: 'invalid_value', message: 'a contact has no stage' }]);
    expect(checkParams(crmUpdateNode, { target: 'deal', id: 'd1', set: { score: 5 } })).to.deep.equal([{ path: '/set/score', code: 'invalid_value', message: 'a deal has no score' }]);
    expect(checkParams(crmUpdateNode, { target: 'deal', set: { stage: 'won' } })).to.deep.equal([{ path: '/id', code: 'required', message: 'say which deal (an id or an expression)' }]);
    expect(checkParams(crmUpdateNode, { target: 'contact', set: {} })).to.not.deep.equal([]);
    expect(checkParams(crmUpdateNode, { target: 'contact', set: { score: 101 } })).to.not.deep.equal([]);
    expect(checkParams(crmUpdateNode, { target: 'deal', id: 'd1', set: { stage: 'closed' } })).to.not.deep.equal([]);
  });

  it('updates the execution’s contact by default, with expressions resolved', async () => {
    const crm = fakeCrm();
    const { result } = await runNode(crmUpdateNode, { params: { target: 'contact', set: { score: '=score', tier: '=score >= 80 ? "hot" : "cold"' } }, input: { score: 90 }, subject: 'c-9', crm });
    expect(crm.requests).to.deep.equal([{ target: 'contact', id: 'c-9', set: { score: 90, tier: 'hot' } }]);
    expect(portOutput(result)).to.deep.equal({
      port: 'out',
      output: { target: 'contact', id: 'c-9', changes: { score: { from: 10, to: 90 } }, record: { id: 'c-9', score: 90 }, events: ['lead.updated'], webhook: null },
    });
  });

  it('fails without retry when there is no contact, or no CRM service', async () => {
    expect((await failureOf(runNode(crmUpdateNode, { params: { target: 'contact', set: { score: 1 } }, crm: fakeCrm() }))).code).to.equal('invalid_params');
    expect((await failureOf(runNode(crmUpdateNode, { params: { target: 'contact', id: 'c1', set: { score: 1 } } }))).code).to.equal('crm_unavailable');
  });

  describe('the external CRM webhook', () => {
    let server: CaptureServer;
    beforeEach(async () => {
      server = await startCaptureServer();
    });
    afterEach(async () => server.close());

    it('POSTs the change as JSON with an Idempotency-Key and an HMAC signature', async () => {
      const secret = 'a-shared-secret-of-32-characters!';
      const { result } = await runNode(crmUpdateNode, {
        params: { target: 'contact', id: 'c1', set: { score: 90 } },
        crm: fakeCrm({ url: `${server.url}/crm/hook`, credential: 'crm-hmac' }),
        credentials: { 'crm-hmac': { secret } },
      });
      expect(portOutput(result).output).to.deep.include({ webhook: { url: `${server.url}/crm/hook`, status: 200 } });
      const [req] = server.requests;
      expect(req?.method).to.equal('POST');
      expect(req?.headers['idempotency-key']).to.equal('exec-test:3');
      expect(JSON.parse(req!.body)).to.deep.equal({
        event: 'contact.updated',
        changeId: 'exec-test:3',
        target: 'contact',
        id: 'c1',
        set: { score: 90 },
        changes: { score: { from: 10, to: 90 } },
        record: { id: 'c1', score: 90 },
        source: { system: 'tadfuq', executionId: 'exec-test', flowId: 'flow-test' },
        at: FIXED_NOW.toISOString(),
      });
      const t = Math.floor(FIXED_NOW.getTime() / 1000);
      expect(req?.headers['x-tadfuq-signature']).to.equal(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${req!.body}`).digest('hex')}`);
    });

    it('sends bearer and header credentials', () => {
      expect(crmWebhookAuth({ token: 'tok' }, '{}', 1).headers).to.deep.equal({ Authorization: 'Bearer tok' });
      expect(crmWebhookAuth({ name: 'X-Api-Key', value: 'k' }, '{}', 1)).to.deep.equal({ headers: { 'X-Api-Key': 'k' }, secretHeaders: ['X-Api-Key'] });
    });

    it('fails retryably on 5xx and without retry on 4xx', async () => {
      server.statuses.push(503, 400);
      const params = { target: 'contact', id: 'c1', set: { score: 90 } };
      const down = await failureOf(runNode(crmUpdateNode, { params, crm: fakeCrm({ url: server.url }) }));
      expect([down.code, down.retryable]).to.deep.equal(['crm_webhook_failed', true]);
      const refused = await failureOf(runNode(crmUpdateNode, { params, crm: fakeCrm({ url: server.url }) }));
      expect([refused.code, refused.retryable]).to.deep.equal(['crm_webhook_rejected', false]);
    });

    it('is refused at a private address unless the tenant allows it (SSRF guard)', async () => {
      const failure = await failureOf(runNode(crmUpdateNode, { params: { target: 'contact', id: 'c1', set: { score: 1 } }, crm: fakeCrm({ url: server.url }), allowPrivateNetwork: false }));
      expect(failure.code).to.equal('address_not_allowed');
      expect(server.requests).to.have.length(0);
    });
  });
});
