import { expect } from 'chai';
import fc from 'fast-check';
import { linkAmount, paymentLinkNode } from './payment-link.node.js';
import { halalasOfSar, sarOfHalalas } from './shared/payment-providers.js';
import { checkParams, failureOf, portOutput, runNode } from './testing/run-node.js';
import { startFakePayments, type FakePayments } from '../test/helpers/fake-payments.js';

type Obj = Record<string, unknown>;

describe('payment.link', () => {
  describe('amounts (halalas, never floats)', () => {
    it('converts SAR decimal strings by string arithmetic', () => {
      expect(halalasOfSar('1500.5')).to.equal(150050);
      expect(halalasOfSar('0.29')).to.equal(29); // 0.29 * 100 is 28.999999999999996 as a float
      expect(halalasOfSar('1.1')).to.equal(110);
      expect(halalasOfSar('999999999999.99')).to.equal(99_999_999_999_999);
      for (const bad of ['1.234', '-5', '1e3', '', '01.00', 'abc', '1,000']) expect(halalasOfSar(bad), bad).to.equal(null);
    });

    it('round-trips every amount exactly', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 99_999_999_999_999 }), (h) => halalasOfSar(sarOfHalalas(h)) === h),
        { numRuns: 500 },
      );
    });

    it('wants the amount once, at least 1 SAR', () => {
      expect(checkParams(paymentLinkNode, { credential: 'pay', dealId: 'd1', description: 'x' })).to.deep.equal([
        { path: '/amountHalalas', code: 'required', message: 'give the amount: amountHalalas (integer) or amountSar (decimal string)' },
      ]);
      expect(checkParams(paymentLinkNode, { credential: 'pay', dealId: 'd1', description: 'x', amountHalalas: 100, amountSar: '1.00' })[0]).to.include({ code: 'invalid_value' });
      expect(checkParams(paymentLinkNode, { credential: 'pay', dealId: 'd1', description: 'x', amountHalalas: 99 })[0]).to.include({ path: '/amountHalalas' });
      expect(checkParams(paymentLinkNode, { credential: 'pay', dealId: 'd1', description: 'x', amountHalalas: 1.5 })[0]).to.include({ path: '/amountHalalas' });
      expect(checkParams(paymentLinkNode, { credential: 'pay', dealId: 'd1', description: 'x', amountSar: '=deal.valueSar' })).to.deep.equal([]);
      expect(linkAmount({ amountSar: '2500.75' })).to.equal(250075);
      expect(() => linkAmount({ amountSar: 2500.75 })).to.throw(/SAR decimal string/);
      expect(() => linkAmount({ amountHalalas: 50 })).to.throw(/between 100/);
    });
  });

  describe('against local gateways', () => {
    let gw: FakePayments;
    before(async () => {
      gw = await startFakePayments();
    });
    after(async () => gw?.close());

    const moyasar = () => ({ pay: { secretKey: gw.moyasarKey, baseUrl: `${gw.url}/v1` } });
    const stripe = () => ({ pay: { secretKey: gw.stripeKey, baseUrl: gw.url } });

    it('creates a Moyasar invoice in SAR halalas with the deal in its metadata (HTTP Basic, secret key as user)', async () => {
      const { result } = await runNode(paymentLinkNode, {
        params: { provider: 'moyasar', credential: 'pay', dealId: '=deal.id', amountSar: '=deal.valueSar', description: '="عرض " & deal.title', callbackUrl: 'https://example.sa/cb' },
        input: { deal: { id: 'deal-1', valueSar: '1500.50', title: 'Acme' } },
        credentials: moyasar(),
      });
      const out = portOutput(result).output as Obj;
      const sent = gw.requests.at(-1)!;
      expect(sent).to.deep.include({ method: 'POST', path: '/v1/invoices', authorization: `Basic ${Buffer.from(`${gw.moyasarKey}:`).toString('base64')}` });
      expect(sent.body).to.deep.equal({
        amount: 150050,
        currency: 'SAR',
        description: 'عرض Acme',
        callback_url: 'https://example.sa/cb',
        metadata: { tadfuq_tenant: 'tenant-test', tadfuq_deal: 'deal-1', tadfuq_execution: 'exec-test' },
      });
      expect(out).to.deep.include({ provider: 'moyasar', status: 'initiated', amountHalalas: 150050, currency: 'SAR', dealId: 'deal-1' });
      expect(out.url).to.equal(`${gw.url}/invoices/${out.id as string}`);
      expect(JSON.stringify(out)).to.not.include(gw.moyasarKey);
    });

    it('creates a Stripe Checkout Session in sar through the official client, idempotent per step', async () => {
      const params = { provider: 'stripe', credential: 'pay', dealId: 'deal-2', amountHalalas: 99_999, description: 'Deal 2', successUrl: 'https://example.sa/thanks' };
      const first = portOutput((await runNode(paymentLinkNode, { params, credentials: stripe() })).result).output as Obj;
      const sent = gw.requests.at(-1)!;
      expect(sent).to.deep.include({ method: 'POST', path: '/v1/checkout/sessions', authorization: `Bearer ${gw.stripeKey}`, idempotencyKey: 'tadfuq:exec-test:n1' });
      expect(sent.body).to.deep.include({ mode: 'payment', success_url: 'https://example.sa/thanks' });
      expect(sent.body.line_items).to.deep.equal([{ quantity: '1', price_data: { currency: 'sar', unit_amount: '99999', product_data: { name: 'Deal 2' } } }]);
      expect(sent.body.metadata).to.deep.equal({ tadfuq_tenant: 'tenant-test', tadfuq_deal: 'deal-2', tadfuq_execution: 'exec-test' });
      expect(first).to.deep.include({ provider: 'stripe', amountHalalas: 99_999, currency: 'SAR', status: 'open', dealId: 'deal-2' });
      // The step running again (a lost answer) gets the same session, not a second one.
      const again = portOutput((await runNode(paymentLinkNode, { params, credentials: stripe() })).result).output as Obj;
      expect(again.id).to.equal(first.id);
      expect(gw.sessions.size).to.equal(1);
    });

    it('fails without retry when the gateway refuses (bad key), and the egress guard stops private addresses', async () => {
      const refused = await failureOf(runNode(paymentLinkNode, { params: { credential: 'pay', dealId: 'd', amountHalalas: 100, description: 'x' }, credentials: { pay: { secretKey: 'sk_wrong', baseUrl: `${gw.url}/v1` } } }));
      expect(refused).to.include({ code: 'payment_provider_refused', retryable: false });
      const stripeRefused = await failureOf(runNode(paymentLinkNode, { params: { provider: 'stripe', credential: 'pay', dealId: 'd', amountHalalas: 100, description: 'x' }, credentials: { pay: { secretKey: 'sk_wrong', baseUrl: gw.url } } }));
      expect(stripeRefused).to.include({ code: 'payment_provider_refused', retryable: false });
      for (const provider of ['moyasar', 'stripe']) {
        const guarded = await failureOf(
          runNode(paymentLinkNode, { params: { provider, credential: 'pay', dealId: 'd', amountHalalas: 100, description: 'x' }, credentials: provider === 'moyasar' ? moyasar() : stripe(), allowPrivateNetwork: false }),
        );
        expect(guarded, provider).to.include({ code: 'address_not_allowed', retryable: false });
      }
    });
  });
});
