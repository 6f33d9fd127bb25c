// payment.link: creates a SAR payment link for a deal — a Moyasar invoice or a Stripe Checkout
// Session — through ctx.http (the egress guard), with the tenant, deal and execution in the
// link's metadata so the verified payment webhook (server/payments/) can find the deal again,
// move it to won and publish payment.paid / payment.failed. The amount is integer halalas:
// `amountHalalas`, or `amountSar` as a decimal string (e.g. =$trigger.data.deal.valueSar),
// converted by string arithmetic, never through a float.
import { Type } from '@sinclair/typebox';
import { CREDENTIAL_NAME_PATTERN, choices, defineNode, Expr, label, NodeFailure, type FlowError } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';
import {
  MAX_HALALAS,
  META_DEAL,
  META_EXECUTION,
  META_TENANT,
  MIN_HALALAS,
  PAYMENT_PROVIDERS,
  halalasOfSar,
  moyasarCreateInvoice,
  stripeCreateCheckout,
  type LinkRequest,
  type PaymentProviderName,
} from './shared/payment-providers.js';

const URL_PATTERN = '^https?://[^\\s]+$';

const params = Type.Object(
  {
    provider: Type.Union(
      choices(PAYMENT_PROVIDERS, { moyasar: ['Moyasar', 'ميسّر'], stripe: ['Stripe', 'سترايب'] }),
      { default: 'moyasar', ...label('Gateway', 'بوابة الدفع', 'moyasar or stripe', 'ميسّر أو سترايب') },
    ),
    credential: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: CREDENTIAL_NAME_PATTERN,
      'x-credential-types': ['moyasar', 'stripe'],
      ...label('Credential', 'بيانات الاعتماد', 'Name of the moyasar or stripe credential (same type as the gateway)', 'اسم بيانات اعتماد ميسّر أو سترايب (من نوع البوابة نفسها)'),
    }),
    dealId: Expr(
      Type.String({
        minLength: 1,
        maxLength: 64,
        ...label('Deal', 'الصفقة', 'The deal the payment is for, e.g. =$trigger.data.deal.id: paid moves it to won', 'الصفقة التي يُدفع لها، مثل =$trigger.data.deal.id: عند الدفع تصبح رابحة'),
      }),
    ),
    amountHalalas: Type.Optional(
      Expr(
        Type.Integer({
          minimum: MIN_HALALAS,
          maximum: MAX_HALALAS,
          ...label('Amount (halalas)', 'المبلغ (بالهللة)', 'Integer halalas: 150050 is 1,500.50 SAR (at least 100)', 'عدد صحيح بالهللة: 150050 تعني 1,500.50 ريال (100 على الأقل)'),
        }),
      ),
    ),
    amountSar: Type.Optional(
      Expr(
        Type.String({
          pattern: '^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$',
          ...label('Amount (SAR)', 'المبلغ (ريال)', 'A decimal string, e.g. "1500.50" or =$trigger.data.deal.valueSar; give this or the amount in halalas', 'نص عشري مثل "1500.50" أو =$trigger.data.deal.valueSar؛ اذكره أو المبلغ بالهللة'),
        }),
      ),
    ),
    description: Expr(
      Type.String({
        minLength: 1,
        maxLength: 255,
        ...label('Description', 'الوصف', 'Shown to the payer on the payment page', 'يظهر للدافع في صفحة الدفع'),
      }),
    ),
    successUrl: Type.Optional(
      Type.String({
        pattern: URL_PATTERN,
        maxLength: 2000,
        ...label('Success page', 'صفحة النجاح', 'Where the payer lands after paying (Stripe needs it unless the account has a default)', 'الصفحة التي يصل إليها الدافع بعد الدفع'),
      }),
    ),
    callbackUrl: Type.Optional(
      Type.String({
        pattern: URL_PATTERN,
        maxLength: 2000,
        ...label('Callback URL (Moyasar)', 'رابط الإشعار (ميسّر)', "Moyasar's invoice callback_url; payments are acted on only through the signed webhook", 'رابط callback_url للفاتورة في ميسّر؛ لا يُعتمد الدفع إلا عبر الخطاف الموقّع'),
      }),
    ),
  },
  { additionalProperties: false },
);

function amountProblems(p: { amountHalalas?: unknown; amountSar?: unknown }): FlowError[] {
  const given = (p.amountHalalas !== undefined ? 1 : 0) + (p.amountSar !== undefined ? 1 : 0);
  if (given === 1) return [];
  return [{ path: '/amountHalalas', code: given ? 'invalid_value' : 'required', message: given ? 'give the amount once: in halalas or in SAR, not both' : 'give the amount: amountHalalas (integer) or amountSar (decimal string)' }];
}

/** The amount in integer halalas from resolved params; a NodeFailure (not retryable) when it is not one. Pure. */
export function linkAmount(p: { amountHalalas?: unknown; amountSar?: unknown }): number {
  const problem = amountProblems(p)[0];
  if (problem) throw new NodeFailure('invalid_params', problem.message, { retryable: false, path: '/params' + problem.path });
  let halalas: number | null;
  if (p.amountHalalas !== undefined) halalas = typeof p.amountHalalas === 'number' && Number.isSafeInteger(p.amountHalalas) ? p.amountHalalas : null;
  else halalas = typeof p.amountSar === 'string' ? halalasOfSar(p.amountSar) : null;
  const path = p.amountHalalas !== undefined ? '/params/amountHalalas' : '/params/amountSar';
  if (halalas === null) throw new NodeFailure('invalid_params', 'the amount is not an integer number of halalas or a SAR decimal string with at most two places', { retryable: false, path });
  if (halalas < MIN_HALALAS || halalas > MAX_HALALAS) throw new NodeFailure('invalid_params', `the amount must be between ${MIN_HALALAS} halalas (1 SAR) and ${MAX_HALALAS}`, { retryable: false, path });
  return halalas;
}

export const paymentLinkNode = defineNode({
  type: 'payment.link',
  category: 'sales',
  sideEffects: true,
  label: { en: 'Payment link', ar: 'رابط دفع' },
  description: {
    en:
      'Creates a SAR payment link for a deal (a Moyasar invoice or a Stripe Checkout Session). When the payer pays, the verified gateway webhook moves the deal to won and publishes payment.paid (payment.failed on a failure), ' +
      'which can start a flow (trigger.event) that sends a receipt. Outputs {provider, id, url, status, amountHalalas, currency, dealId}.',
    ar:
      'ينشئ رابط دفع بالريال لصفقة (فاتورة ميسّر أو جلسة دفع سترايب). عند الدفع ينقل خطاف البوابة الموثَّق الصفقة إلى رابحة وينشر الحدث payment.paid (أو payment.failed عند الفشل)، ' +
      'ويمكن أن يبدأ به تدفق (trigger.event) يرسل إيصالًا. يُخرج {provider, id, url, status, amountHalalas, currency, dealId}.',
  },
  icon: 'credit-card',
  params,
  outputs: [OUT_PORT],
  credentials: ['moyasar', 'stripe'],
  check(p): FlowError[] {
    return amountProblems(p);
  },
  async execute(ctx) {
    const p = ctx.params;
    const provider = p.provider as PaymentProviderName;
    const amountHalalas = linkAmount(p);
    const dealId = String(p.dealId);
    const data = await ctx.credential(p.credential);
    if (typeof data.secretKey !== 'string') throw new NodeFailure('credential_type_mismatch', `credential ${p.credential} has no secretKey: use a ${provider} credential`, { retryable: false, path: '/params/credential' });
    const request: LinkRequest = {
      amountHalalas,
      description: String(p.description),
      metadata: { [META_TENANT]: ctx.execution.tenantId, [META_DEAL]: dealId, [META_EXECUTION]: ctx.execution.id },
      ...(p.callbackUrl ? { callbackUrl: p.callbackUrl } : {}),
      ...(p.successUrl ? { successUrl: p.successUrl } : {}),
      // The same on every attempt of this step: a retry after a lost answer does not create a second session.
      idempotencyKey: `tadfuq:${ctx.execution.id}:${ctx.node.id}`,
      signal: ctx.signal,
    };
    const credential = { secretKey: data.secretKey, ...(data.baseUrl ? { baseUrl: data.baseUrl } : {}) };
    const link = provider === 'moyasar' ? await moyasarCreateInvoice(ctx.http, credential, request) : await stripeCreateCheckout(ctx.http, credential, request);
    ctx.log(`${provider} payment link ${link.id} for deal ${dealId}: ${amountHalalas} halalas`);
    return { port: 'out', output: { ...link, dealId } };
  },
});
