// The kinds of credential a tenant can store, each with a TypeBox schema for its data (the
// editor builds its forms from these, GET /api/v1/credential-types) and an Arabic/English
// label. Fields marked `writeOnly` hold secrets: the editor shows them as password inputs;
// no field value, secret or not, is ever sent back by the API.
import { Type, type TObject } from '@sinclair/typebox';
import Ajv2020Module, { type ValidateFunction } from 'ajv/dist/2020.js';
import { hostRefusal, schemaErrors, type EgressPolicy, type FlowError, type Localized } from '../../engine/index.js';

export interface CredentialType {
  type: string;
  label: Localized;
  description: Localized;
  /** Schema of the credential's data (objects without additional properties). */
  schema: TObject;
}

/** A header name as RFC 9110 allows (a token). */
const HEADER_NAME = '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$';
/** No line breaks or NUL: a value that can go into an HTTP header or an HMAC key. */
const NO_CONTROL = '^[^\\r\\n\\u0000]*$';

const secret = (title: string, extra: Record<string, unknown> = {}) =>
  Type.String({ minLength: 1, maxLength: 8192, pattern: NO_CONTROL, writeOnly: true, title, ...extra });
const text = (title: string, maxLength = 500, extra: Record<string, unknown> = {}) => Type.String({ minLength: 1, maxLength, pattern: NO_CONTROL, title, ...extra });
const object = (props: Parameters<typeof Type.Object>[0]) => Type.Object(props, { additionalProperties: false });
/** A provider's optional API base URL (a self-hosted gateway, or a local server in tests). */
const baseUrl = (defaultUrl: string) => Type.Optional(text(`API base URL (default ${defaultUrl})`, 500, { pattern: '^https?://[^\\s]+$' }));

export const CREDENTIAL_TYPES: readonly CredentialType[] = [
  {
    type: 'http-bearer',
    label: { en: 'HTTP bearer token', ar: 'رمز وصول HTTP ‏(Bearer)' },
    description: { en: 'Sent as "Authorization: Bearer <token>" by the HTTP request step.', ar: 'يُرسَل بصيغة ‎"Authorization: Bearer <token>"‎ في خطوة طلب HTTP.' },
    schema: object({ token: secret('Token') }),
  },
  {
    type: 'http-header',
    label: { en: 'HTTP header', ar: 'ترويسة HTTP' },
    description: { en: 'A custom header (e.g. X-API-Key) sent by the HTTP request step.', ar: 'ترويسة مخصّصة (مثل X-API-Key) تُرسَل في خطوة طلب HTTP.' },
    schema: object({ name: Type.String({ minLength: 1, maxLength: 200, pattern: HEADER_NAME, title: 'Header name' }), value: secret('Header value') }),
  },
  {
    type: 'webhook-hmac',
    label: { en: 'Webhook signing secret', ar: 'سر توقيع الخطاف' },
    description: {
      en: 'Shared secret for HMAC-SHA256 signatures of incoming webhooks (header X-Tadfuq-Signature: t=<unix seconds>,v1=<hex>).',
      ar: 'سر مشترك لتوقيعات HMAC-SHA256 للخطافات الواردة (الترويسة X-Tadfuq-Signature: t=<ثوانٍ>,v1=<hex>).',
    },
    schema: object({ secret: secret('Secret', { minLength: 16 }) }),
  },
  {
    type: 'ultramsg',
    label: { en: 'UltraMsg (WhatsApp)', ar: 'ألترا مسج (واتساب)' },
    description: { en: 'UltraMsg instance id and API token.', ar: 'معرّف مثيل ألترا مسج ورمز الواجهة البرمجية.' },
    schema: object({
      instanceId: text('Instance id', 100),
      token: secret('Token'),
      // Additive (channel providers): the webhook URL's secret, and an API base URL for a gateway or tests.
      webhookSecret: Type.Optional(secret('Webhook secret (in the webhook URL)', { minLength: 16, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
      baseUrl: baseUrl('https://api.ultramsg.com'),
    }),
  },
  {
    type: 'twilio',
    label: { en: 'Twilio (SMS, WhatsApp)', ar: 'تويليو (رسائل نصية، واتساب)' },
    description: { en: 'Twilio account SID, auth token and an optional sender.', ar: 'معرّف حساب تويليو ورمز المصادقة ورقم مرسِل اختياري.' },
    schema: object({
      accountSid: text('Account SID', 64),
      authToken: secret('Auth token'),
      from: Type.Optional(text('From (sender)', 64)),
      // Additive (channel providers): a separate WhatsApp sender, and an API base URL for a gateway or tests.
      whatsappFrom: Type.Optional(text('WhatsApp sender (default: From)', 64)),
      baseUrl: baseUrl('https://api.twilio.com'),
    }),
  },
  {
    type: 'whatsapp-cloud',
    label: { en: 'WhatsApp Cloud API (Meta)', ar: 'واجهة واتساب السحابية (ميتا)' },
    description: {
      en: 'A WhatsApp Business phone number on Meta’s Cloud API: its phone number id, the WhatsApp Business Account id (for templates) and a system-user access token.',
      ar: 'رقم واتساب للأعمال على الواجهة السحابية من ميتا: معرّف رقم الهاتف ومعرّف حساب واتساب للأعمال (للقوالب) ورمز وصول لمستخدم النظام.',
    },
    schema: object({
      phoneNumberId: text('Phone number id', 64, { pattern: '^[0-9]{1,64}$' }),
      businessAccountId: Type.Optional(text('WhatsApp Business Account id (for template sync)', 64, { pattern: '^[0-9]{1,64}$' })),
      accessToken: secret('Access token'),
      apiVersion: Type.Optional(text('Graph API version (default v21.0)', 16, { pattern: '^v[0-9]{1,3}\\.[0-9]{1,2}$' })),
      baseUrl: baseUrl('https://graph.facebook.com'),
    }),
  },
  {
    type: 'unifonic',
    label: { en: 'Unifonic (SMS)', ar: 'يونيفونك (رسائل نصية)' },
    description: {
      en: 'Unifonic AppSid and a registered sender name. Promotional sender names end in -AD.',
      ar: 'معرّف تطبيق يونيفونك (AppSid) واسم مرسل مسجّل. أسماء المرسلين الترويجية تنتهي بـ ‎-AD.',
    },
    schema: object({
      appSid: secret('AppSid'),
      senderId: text('Sender name', 16, { pattern: '^[A-Za-z0-9 ._-]{1,16}$' }),
      promotionalSenderId: Type.Optional(text('Promotional sender name (ends in -AD)', 16, { pattern: '^[A-Za-z0-9 ._-]{1,13}-AD$' })),
      promotionalHours: Type.Optional(text('Promotional hours, Riyadh time (default 09:00-21:00)', 11, { pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$' })),
      refuseOutsidePromotionalHours: Type.Optional(Type.Boolean({ title: 'Refuse promotional SMS outside those hours (default: defer them to the next opening)' })),
      webhookSecret: Type.Optional(secret('Webhook secret (in the delivery report URL)', { minLength: 16, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
      baseUrl: baseUrl('https://el.cloud.unifonic.com'),
    }),
  },
  {
    type: 'taqnyat',
    label: { en: 'Taqnyat (SMS)', ar: 'تقنيات (رسائل نصية)' },
    description: {
      en: 'Taqnyat API bearer token and a registered sender name. Promotional sender names end in -AD.',
      ar: 'رمز واجهة تقنيات (Bearer) واسم مرسل مسجّل. أسماء المرسلين الترويجية تنتهي بـ ‎-AD.',
    },
    schema: object({
      token: secret('Bearer token'),
      sender: text('Sender name', 16, { pattern: '^[A-Za-z0-9 ._-]{1,16}$' }),
      promotionalSender: Type.Optional(text('Promotional sender name (ends in -AD)', 16, { pattern: '^[A-Za-z0-9 ._-]{1,13}-AD$' })),
      promotionalHours: Type.Optional(text('Promotional hours, Riyadh time (default 09:00-21:00)', 11, { pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$' })),
      refuseOutsidePromotionalHours: Type.Optional(Type.Boolean({ title: 'Refuse promotional SMS outside those hours (default: defer them to the next opening)' })),
      webhookSecret: Type.Optional(secret('Webhook secret (in the delivery report URL)', { minLength: 16, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
      baseUrl: baseUrl('https://api.taqnyat.sa'),
    }),
  },
  {
    type: 'moyasar',
    label: { en: 'Moyasar (payments)', ar: 'ميسّر (المدفوعات)' },
    description: {
      en: 'Moyasar secret key (sk_…) for payment links, and the webhook secret token set in the Moyasar dashboard.',
      ar: 'المفتاح السري لميسّر (sk_…) لروابط الدفع، ورمز الخطاف السري المضبوط في لوحة ميسّر.',
    },
    schema: object({
      secretKey: secret('Secret key'),
      webhookSecret: Type.Optional(secret('Webhook secret token', { minLength: 16, maxLength: 500 })),
      baseUrl: baseUrl('https://api.moyasar.com/v1'),
    }),
  },
  {
    type: 'stripe',
    label: { en: 'Stripe (payments)', ar: 'سترايب (المدفوعات)' },
    description: {
      en: 'Stripe secret key (sk_…) for payment links, and the webhook endpoint signing secret (whsec_…).',
      ar: 'المفتاح السري لسترايب (sk_…) لروابط الدفع، وسر توقيع نقطة الخطاف (whsec_…).',
    },
    schema: object({
      secretKey: secret('Secret key'),
      webhookSecret: Type.Optional(secret('Webhook signing secret (whsec_…)', { minLength: 16, maxLength: 500 })),
      baseUrl: baseUrl('https://api.stripe.com'),
    }),
  },
  {
    type: 'smtp',
    label: { en: 'Email (SMTP)', ar: 'البريد الإلكتروني (SMTP)' },
    description: { en: 'SMTP server and sign-in for sending email.', ar: 'خادم SMTP وبيانات الدخول لإرسال البريد.' },
    schema: object({
      host: text('Host', 255),
      port: Type.Integer({ minimum: 1, maximum: 65535, title: 'Port' }),
      secure: Type.Boolean({ title: 'TLS from the start (port 465)' }),
      user: text('User', 320),
      pass: secret('Password'),
      from: text('From address', 320),
    }),
  },
  {
    type: 'openai',
    label: { en: 'OpenAI', ar: 'أوبن إيه آي (OpenAI)' },
    description: { en: 'OpenAI API key (fallback LLM provider).', ar: 'مفتاح واجهة OpenAI (مزوّد النماذج الاحتياطي).' },
    // Additive (LLM providers): an API base URL for a self-hosted gateway or tests (default https://api.openai.com/v1).
    schema: object({ apiKey: secret('API key'), baseUrl: baseUrl('https://api.openai.com/v1') }),
  },
  {
    type: 'groq',
    label: { en: 'Groq', ar: 'جروك (Groq)' },
    description: { en: 'Groq API key (primary LLM provider).', ar: 'مفتاح واجهة Groq (مزوّد النماذج الأساسي).' },
    // Additive (LLM providers): an API base URL for a self-hosted gateway or tests (default https://api.groq.com).
    schema: object({ apiKey: secret('API key'), baseUrl: baseUrl('https://api.groq.com') }),
  },
  // LLM routing by task (engine/llm/routing.ts): the three providers beside Groq and OpenAI.
  {
    type: 'anthropic',
    label: { en: 'Anthropic (Claude)', ar: 'أنثروبيك (Claude)' },
    description: { en: 'Anthropic API key (Claude: sales copy and proposals).', ar: 'مفتاح واجهة Anthropic (Claude: النصوص البيعية والعروض).' },
    schema: object({ apiKey: secret('API key'), baseUrl: baseUrl('https://api.anthropic.com') }),
  },
  {
    type: 'gemini',
    label: { en: 'Google Gemini', ar: 'جوجل جيميناي (Gemini)' },
    description: { en: 'Gemini API key (research and summaries).', ar: 'مفتاح واجهة Gemini (البحث والتلخيص).' },
    schema: object({ apiKey: secret('API key'), baseUrl: baseUrl('https://generativelanguage.googleapis.com') }),
  },
  {
    type: 'deepseek',
    label: { en: 'DeepSeek', ar: 'ديب سيك (DeepSeek)' },
    description: { en: 'DeepSeek API key (code).', ar: 'مفتاح واجهة DeepSeek (الشيفرة البرمجية).' },
    schema: object({ apiKey: secret('API key'), baseUrl: baseUrl('https://api.deepseek.com') }),
  },
];

export const CREDENTIAL_TYPE_NAMES = CREDENTIAL_TYPES.map((t) => t.type);

const byName = new Map(CREDENTIAL_TYPES.map((t) => [t.type, t]));

export function credentialType(type: string): CredentialType | undefined {
  return byName.get(type);
}

/** The data fields of a type, for forms: name, whether required, whether secret. */
export function credentialFields(t: CredentialType): { name: string; required: boolean; secret: boolean }[] {
  const required = new Set(t.schema.required ?? []);
  return Object.entries(t.schema.properties).map(([name, s]) => ({ name, required: required.has(name), secret: (s as { writeOnly?: boolean }).writeOnly === true }));
}

const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module }).default ?? Ajv2020Module;
type Ajv = InstanceType<typeof Ajv2020Module.default>;
const ajv: Ajv = new (Ajv2020 as unknown as new (o: object) => Ajv)({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>();

/**
 * Check `data` against the type's schema. Errors carry paths under `basePath` and never the
 * submitted values (they are secrets).
 */
export function checkCredentialData(type: string, data: unknown, basePath = ''): FlowError[] {
  const t = byName.get(type);
  if (!t) return [{ path: basePath, code: 'unknown_type', message: `unknown credential type "${type}"` }];
  let validate = validators.get(type);
  if (!validate) {
    validate = ajv.compile(t.schema);
    validators.set(type, validate);
  }
  return validate(data) ? [] : schemaErrors(validate.errors, basePath);
}

export const PRIVATE_TARGET_MESSAGE =
  'a private, loopback, link-local or other non-public address: this workspace does not allow private networks (an owner can allow them in the workspace settings)';

/**
 * Connection targets in valid `data` (a `baseUrl`, an smtp `host`) that are literal non-public
 * addresses in any spelling, or localhost names: refused when saved unless the tenant allows
 * private networks. Only a convenience (an early, precise 400): the real guard runs on every
 * connection (engine/runtime/egress-guard.ts), where a name resolving to a private address is
 * refused too.
 */
export function egressProblems(type: string, data: unknown, basePath: string, policy: EgressPolicy): FlowError[] {
  if (policy.allowPrivateNetwork || !data || typeof data !== 'object') return [];
  const d = data as Record<string, unknown>;
  const problems: FlowError[] = [];
  if (typeof d.baseUrl === 'string' && d.baseUrl !== '') {
    let host: string | null = null;
    try {
      host = new URL(d.baseUrl).hostname;
    } catch {
      problems.push({ path: `${basePath}/baseUrl`, code: 'invalid_value', message: 'not a URL' });
    }
    if (host !== null && hostRefusal(host, policy)) problems.push({ path: `${basePath}/baseUrl`, code: 'address_not_allowed', message: PRIVATE_TARGET_MESSAGE });
  }
  if (type === 'smtp' && typeof d.host === 'string' && hostRefusal(d.host, policy)) {
    problems.push({ path: `${basePath}/host`, code: 'address_not_allowed', message: PRIVATE_TARGET_MESSAGE });
  }
  return problems;
}
