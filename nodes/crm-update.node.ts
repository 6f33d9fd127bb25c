// crm.update: changes a lead's fields (score, tier, owner, tags) or a deal's (stage, owner)
// from a flow, through the server's CRM service (ctx.crm), which emits the same domain events
// as the API (lead.updated, deal.updated, deal.stage_changed). When the tenant has an external
// CRM webhook (tenant setting crm.externalWebhook {url, credential?}), the change is also
// POSTed there through ctx.http (SSRF-guarded), so Tadfuq can run beside an existing CRM.
// The webhook body carries the requested `set` (idempotent to apply again) and a changeId
// (Idempotency-Key header) that stays the same when the step runs again.
import { createHmac } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { choices, defineNode, ExpressionString, label, NodeFailure, type ParamText, type CrmSet, type CrmUpdateResult, type FlowError, type GuardedFetch } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';

export const CRM_TIERS = ['hot', 'warm', 'cold'] as const;
export const CRM_DEAL_STAGES = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost'] as const;
export const CRM_WEBHOOK_SIGNATURE_HEADER = 'X-Tadfuq-Signature';
const TAG = Type.String({ minLength: 1, maxLength: 64 });
const orExpr = <T extends Parameters<typeof Type.Union>[0]>(schemas: T, options: ParamText) => Type.Optional(Type.Union([...schemas, ExpressionString], options));
const TAGS = Type.Union([Type.Array(TAG, { maxItems: 50 }), ExpressionString]);

const params = Type.Object(
  {
    target: Type.Union(
      choices(['contact', 'deal'] as const, { contact: ['Contact (lead)', 'جهة اتصال (عميل محتمل)'], deal: ['Deal', 'صفقة'] }),
      label('Target', 'الهدف', 'contact: the lead; deal: a deal', 'جهة اتصال: العميل المحتمل؛ صفقة: إحدى الصفقات'),
    ),
    id: Type.Optional(
      Type.Union(
        [Type.String({ minLength: 1, maxLength: 64 }), ExpressionString],
        label(
          'Id',
          'المعرّف',
          'The contact or deal id, e.g. =$trigger.data.deal.id. For a contact, default: the contact the execution runs for',
          'معرّف جهة الاتصال أو الصفقة، مثل =$trigger.data.deal.id. لجهة الاتصال، الافتراضي: جهة الاتصال التي يعمل لها التنفيذ',
        ),
      ),
    ),
    set: Type.Object(
      {
        score: orExpr(
          [Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()],
          label('Score', 'الدرجة', 'lead score 0–100 (contacts), null clears', 'درجة العميل المحتمل من 0 إلى 100 (لجهات الاتصال)، والقيمة null تمسحها'),
        ),
        tier: orExpr(
          [Type.Union(choices(CRM_TIERS, { hot: ['Hot', 'ساخن'], warm: ['Warm', 'دافئ'], cold: ['Cold', 'بارد'] })), Type.Null()],
          label('Tier', 'التصنيف', 'hot, warm or cold (contacts), null clears', 'ساخن أو دافئ أو بارد (لجهات الاتصال)، والقيمة null تمسحه'),
        ),
        stage: orExpr(
          [
            Type.Union(
              choices(CRM_DEAL_STAGES, {
                lead: ['Lead', 'عميل محتمل'],
                qualified: ['Qualified', 'مؤهَّل'],
                proposal: ['Proposal', 'عرض سعر'],
                negotiation: ['Negotiation', 'تفاوض'],
                won: ['Won', 'رابحة'],
                lost: ['Lost', 'خاسرة'],
              }),
            ),
          ],
          label('Stage', 'المرحلة', `deal stage: ${CRM_DEAL_STAGES.join(', ')}`, 'مرحلة الصفقة: عميل محتمل، مؤهَّل، عرض سعر، تفاوض، رابحة، خاسرة'),
        ),
        owner: orExpr(
          [Type.String({ minLength: 1, maxLength: 64 }), Type.Null()],
          label('Owner', 'المسؤول عنها', 'user id of the owner (a member), null clears', 'معرّف المستخدم المسؤول (أحد الأعضاء)، والقيمة null تمسحه'),
        ),
        tags: Type.Optional(
          Type.Object(
            {
              add: Type.Optional(Type.Union(TAGS.anyOf, label('Add tags', 'وسوم تُضاف'))),
              remove: Type.Optional(Type.Union(TAGS.anyOf, label('Remove tags', 'وسوم تُزال'))),
            },
            { additionalProperties: false, ...label('Tags', 'الوسوم', 'tags to add and to remove (contacts)', 'الوسوم المراد إضافتها وإزالتها (لجهات الاتصال)') },
          ),
        ),
      },
      {
        additionalProperties: false,
        minProperties: 1,
        ...label('Changes', 'التغييرات', 'The fields to change; fields left out stay as they are', 'الحقول المراد تغييرها؛ وما لم يُذكر يبقى كما هو'),
      },
    ),
  },
  { additionalProperties: false },
);

const CONTACT_ONLY = ['score', 'tier', 'tags'] as const;
const DEAL_ONLY = ['stage'] as const;

function targetProblems(p: { target: 'contact' | 'deal'; id?: unknown; set: Record<string, unknown> }): FlowError[] {
  const errors: FlowError[] = [];
  const foreign = p.target === 'deal' ? CONTACT_ONLY : DEAL_ONLY;
  for (const field of foreign) {
    if (p.set[field] !== undefined) errors.push({ path: `/set/${field}`, code: 'invalid_value', message: `a ${p.target} has no ${field}` });
  }
  if (p.target === 'deal' && p.id === undefined) errors.push({ path: '/id', code: 'required', message: 'say which deal (an id or an expression)' });
  return errors;
}

/** The JSON body POSTed to the external CRM for one change. Pure. */
export function crmWebhookBody(result: CrmUpdateResult, set: CrmSet, meta: { executionId: string; flowId: string; at: string }): string {
  return JSON.stringify({
    event: `${result.target}.updated`,
    changeId: result.changeId,
    target: result.target,
    id: result.id,
    set,
    changes: result.changes,
    record: result.record,
    source: { system: 'tadfuq', executionId: meta.executionId, flowId: meta.flowId },
    at: meta.at,
  });
}

/** Headers for a credential's data: bearer {token}, header {name, value} or HMAC {secret} (signed like incoming webhooks). */
export function crmWebhookAuth(data: Record<string, string>, body: string, nowSeconds: number): { headers: Record<string, string>; secretHeaders: string[] } {
  if (typeof data.token === 'string') return { headers: { Authorization: `Bearer ${data.token}` }, secretHeaders: ['Authorization'] };
  if (typeof data.name === 'string' && typeof data.value === 'string') return { headers: { [data.name]: data.value }, secretHeaders: [data.name] };
  if (typeof data.secret === 'string') {
    const v1 = createHmac('sha256', data.secret).update(`${nowSeconds}.${body}`).digest('hex');
    return { headers: { [CRM_WEBHOOK_SIGNATURE_HEADER]: `t=${nowSeconds},v1=${v1}` }, secretHeaders: [CRM_WEBHOOK_SIGNATURE_HEADER] };
  }
  throw new NodeFailure('invalid_credential', 'the CRM webhook credential is not an http-bearer, http-header or webhook-hmac credential', { retryable: false });
}

async function postChange(http: GuardedFetch, url: string, body: string, headers: Record<string, string>, secretHeaders: string[], signal: AbortSignal): Promise<number> {
  let response: Response;
  try {
    response = await http(url, { method: 'POST', headers, body, signal, secretHeaders });
  } catch (err) {
    if (err instanceof NodeFailure) throw err;
    const e = err as { message?: string; cause?: { code?: string; message?: string } };
    throw new NodeFailure('crm_webhook_failed', `external CRM webhook: ${e?.cause?.code ?? ''} ${e?.cause?.message ?? e?.message ?? String(err)}`.trim(), { retryable: true, cause: err });
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return response.status;
  const retryable = response.status === 429 || response.status >= 500;
  throw new NodeFailure(retryable ? 'crm_webhook_failed' : 'crm_webhook_rejected', `external CRM webhook answered HTTP ${response.status}`, { retryable });
}

export const crmUpdateNode = defineNode({
  type: 'crm.update',
  category: 'sales',
  sideEffects: true,
  label: { en: 'Update CRM record', ar: 'تحديث سجل العميل' },
  description: {
    en:
      'Changes a lead (score, tier, owner, tags) or a deal (stage, owner) and publishes the same events as the app (lead.updated, deal.updated, deal.stage_changed). ' +
      'When the workspace has an external CRM webhook, the change is also sent there (POST, JSON, Idempotency-Key). Outputs {target, id, changes, record, events, webhook}.',
    ar:
      'يغيّر بيانات عميل محتمل (التقييم، الفئة، المسؤول، الوسوم) أو صفقة (المرحلة، المسؤول) وينشر الأحداث نفسها التي ينشرها التطبيق (lead.updated وdeal.updated وdeal.stage_changed). ' +
      'وإذا كان لمساحة العمل خطاف لنظام إدارة عملاء خارجي يُرسَل التغيير إليه أيضًا (POST بصيغة JSON مع Idempotency-Key). يُخرج {target, id, changes, record, events, webhook}.',
  },
  icon: 'database-zap',
  params,
  outputs: [OUT_PORT],
  credentials: ['http-bearer', 'http-header', 'webhook-hmac'],
  check(p): FlowError[] {
    return targetProblems(p as { target: 'contact' | 'deal'; id?: unknown; set: Record<string, unknown> });
  },
  async execute(ctx) {
    const p = ctx.params;
    if (!ctx.crm) throw new NodeFailure('crm_unavailable', 'this runtime has no CRM service', { retryable: false });
    const problem = targetProblems(p as { target: 'contact' | 'deal'; id?: unknown; set: Record<string, unknown> })[0];
    if (problem) throw new NodeFailure('invalid_params', problem.message, { retryable: false, path: '/params' + problem.path });
    const id = p.id !== undefined ? String(p.id) : p.target === 'contact' ? ctx.execution.subject ?? null : null;
    if (!id) throw new NodeFailure('invalid_params', 'no contact id given and the execution has no contact', { retryable: false, path: '/params/id' });
    const set = p.set as CrmSet;
    const result = await ctx.crm.update({ target: p.target, id, set });
    ctx.log(`${p.target} ${id}: ${Object.keys(result.changes).join(', ') || 'no change'}`);
    let webhook: { url: string; status: number } | null = null;
    if (result.externalWebhook) {
      const { url, credential } = result.externalWebhook;
      const body = crmWebhookBody(result, set, { executionId: ctx.execution.id, flowId: ctx.execution.flowId, at: ctx.now().toISOString() });
      const auth = credential ? crmWebhookAuth(await ctx.credential(credential), body, Math.floor(ctx.now().getTime() / 1000)) : { headers: {}, secretHeaders: [] };
      const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': result.changeId, ...auth.headers };
      webhook = { url, status: await postChange(ctx.http, url, body, headers, auth.secretHeaders, ctx.signal) };
    }
    return { port: 'out', output: { target: result.target, id: result.id, changes: result.changes, record: result.record, events: result.events, webhook } };
  },
});
