// WhatsApp through Meta's WhatsApp Cloud API (Graph API), over its documented HTTP API:
//
//   POST {baseUrl}/{version}/{phoneNumberId}/messages     Authorization: Bearer <access token>
//   {"messaging_product":"whatsapp","recipient_type":"individual","to":"9665…","type":"text",
//    "text":{"preview_url":false,"body":"…"}}
//   or "type":"template","template":{"name","language":{"code"},"components":[{"type":"body",
//    "parameters":[{"type":"text","text":"…"}]}]}
//   → 200 {"messaging_product":"whatsapp","contacts":[…],"messages":[{"id":"wamid.…"}]}
//
//   GET {baseUrl}/{version}/{businessAccountId}/message_templates?fields=…&limit=…&after=…
//   → {"data":[{"id","name","language","status","category","components":[…]}],"paging":{…}}
//
// Failures: Graph errors are `{"error":{"message","type","code","error_subcode","fbtrace_id"}}`
// with a 4xx: definite. Throttling codes (4, 80007, 130429, 131048, 131056) are retryable;
// 131047 (more than 24 hours since the customer last wrote) is `whatsapp_window_closed`; 190
// (expired token) and 401/403 are `auth_failed`. 5xx, timeouts and resets after the request
// went out are uncertain (provider-http.ts). A 200 without a message id is uncertain too.
//
// Documents (OutboundMessage.attachments: one stored PDF): uploaded first,
//
//   POST {baseUrl}/{version}/{phoneNumberId}/media   multipart/form-data: messaging_product=whatsapp,
//    type=<content type>, file=<bytes; filename>   → 200 {"id":"<media id>"}
//
// then sent by media id: `"type":"document","document":{"id","filename","caption"}` (the text is
// the caption), or with a template as its DOCUMENT header parameter (`components: [{"type":
// "header","parameters":[{"type":"document","document":{"id","filename"}}]}, …]`). An upload that
// fails in any way is definite (no message went out; retryable unless Meta refused it): the step
// may retry, uploading again (an unused media id expires on Meta's side).
//
// Template variables: numbered keys ("1", "2", …) become positional body parameters in order;
// other keys become named parameters (`parameter_name`), as the Cloud API accepts both.
import type { EgressPolicy } from '../../engine/index.js';
import { randomBytes } from 'node:crypto';
import type { ChannelProvider, OutboundAttachment, OutboundMessage, ProviderSendResult } from './provider.js';
import { ProviderError } from './provider.js';
import { baseUrlOf, joinUrl, jsonObjectOf, providerRequest, statusError } from './provider-http.js';

export const GRAPH_API = 'https://graph.facebook.com';
export const DEFAULT_GRAPH_VERSION = 'v21.0';
const VERSION = /^v\d{1,3}\.\d{1,2}$/;

const RETRYABLE_CODES = new Set([4, 80007, 130429, 131048, 131056]);

export interface WhatsAppCloudOptions {
  timeoutMs?: number;
}

/** E.164 without the plus: what the Cloud API's `to` takes. */
export const waNumber = (e164: string): string => e164.replace(/^\+/, '').replace(/[^\d]/g, '');

function versionOf(credential: Record<string, string>): string {
  const v = credential.apiVersion || DEFAULT_GRAPH_VERSION;
  if (!VERSION.test(v)) throw new ProviderError('invalid_credential', 'whatsapp-cloud: apiVersion must look like v21.0', true, false);
  return v;
}

/** A Graph error object as a ProviderError (definite: Meta answered with a refusal). */
export function graphError(status: number, json: Record<string, unknown> | null, text: string): ProviderError {
  const err = (json?.error && typeof json.error === 'object' ? json.error : null) as Record<string, unknown> | null;
  const code = typeof err?.code === 'number' ? err.code : Number(err?.code ?? NaN);
  const message = `${typeof err?.message === 'string' ? err.message : text.slice(0, 200)}${Number.isFinite(code) ? ` (code ${code})` : ''}`;
  if (Number.isFinite(code) && status < 500) {
    if (RETRYABLE_CODES.has(code)) return new ProviderError('rate_limited', `whatsapp-cloud: ${message}`, true, true);
    if (code === 131047) return new ProviderError('whatsapp_window_closed', `whatsapp-cloud: ${message}`, true, false);
    if (code === 190) return new ProviderError('auth_failed', `whatsapp-cloud: the access token was refused: ${message}`, true, false);
    if (code === 132000 || code === 132001 || code === 132005 || code === 132007 || code === 132012 || code === 132015 || code === 132016) {
      return new ProviderError('template_rejected', `whatsapp-cloud: ${message}`, true, false);
    }
    if (code === 131026 || code === 131030 || code === 100 && /phone|recipient/i.test(message)) return new ProviderError('invalid_recipient', `whatsapp-cloud: ${message}`, true, false);
  }
  return statusError('whatsapp-cloud', status, null, message);
}

/** The body parameters of a template: numbered keys positional (in order), others named. */
export function templateParameters(variables: Record<string, string> | undefined): Array<{ type: 'text'; text: string; parameter_name?: string }> {
  if (!variables) return [];
  const entries = Object.entries(variables);
  const numbered = entries.filter(([k]) => /^\d+$/.test(k)).sort((a, b) => Number(a[0]) - Number(b[0]));
  const named = entries.filter(([k]) => !/^\d+$/.test(k));
  if (numbered.length > 0 && named.length > 0) {
    throw new ProviderError('template_variables_mixed', 'whatsapp-cloud: a template takes numbered ({{1}}) or named ({{name}}) variables, not both', true, false);
  }
  if (numbered.length > 0) {
    numbered.forEach(([k], i) => {
      if (Number(k) !== i + 1) throw new ProviderError('template_variable_missing', `whatsapp-cloud: template variable {{${i + 1}}} has no value`, true, false);
    });
    return numbered.map(([, v]) => ({ type: 'text', text: v }));
  }
  return named.map(([k, v]) => ({ type: 'text', parameter_name: k, text: v }));
}

/** A document uploaded to the media endpoint, by id. */
export interface UploadedMedia {
  id: string;
  filename: string;
}

/** The JSON body of a send (pure; exported for the tests). `media`: the uploaded document. */
export function messageBody(message: OutboundMessage, media?: UploadedMedia): Record<string, unknown> {
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: waNumber(message.to), biz_opaque_callback_data: message.referenceId };
  if (message.template) {
    const parameters = templateParameters(message.template.variables);
    const components = [
      ...(media ? [{ type: 'header', parameters: [{ type: 'document', document: { id: media.id, filename: media.filename } }] }] : []),
      ...(parameters.length > 0 ? [{ type: 'body', parameters }] : []),
    ];
    return {
      ...base,
      type: 'template',
      template: {
        name: message.template.name,
        language: { code: message.template.language ?? 'ar' },
        ...(components.length > 0 ? { components } : {}),
      },
    };
  }
  if (media) return { ...base, type: 'document', document: { id: media.id, filename: media.filename, ...(message.text ? { caption: message.text.slice(0, 1024) } : {}) } };
  if (!message.text) throw new ProviderError('invalid_message', 'whatsapp-cloud: a message needs text or a template', true, false);
  return { ...base, type: 'text', text: { preview_url: false, body: message.text } };
}

export class WhatsAppCloudProvider implements ChannelProvider {
  readonly name = 'whatsapp-cloud' as const;
  readonly channels = ['whatsapp'] as const;
  readonly credentialType = 'whatsapp-cloud';
  /** One document per message (uploaded to the media endpoint first). */
  readonly attachments = true;

  constructor(private readonly options: WhatsAppCloudOptions = {}) {}

  /** POST to an endpoint of the credential's phone number; an answer other than 2xx throws graphError(). */
  private async post(credential: Record<string, string>, endpoint: 'media' | 'messages', body: Parameters<typeof providerRequest>[1]['body'], contentType: string, signal: AbortSignal, egress: EgressPolicy): Promise<ReturnType<typeof jsonObjectOf>> {
    const answer = await providerRequest(
      'whatsapp-cloud',
      {
        method: 'POST',
        url: joinUrl(baseUrlOf(credential, GRAPH_API, 'whatsapp-cloud'), `/${versionOf(credential)}/${encodeURIComponent(credential.phoneNumberId!)}/${endpoint}`),
        headers: { authorization: `Bearer ${credential.accessToken}`, 'content-type': contentType, accept: 'application/json' },
        body,
        timeoutMs: this.options.timeoutMs,
      },
      signal,
      egress,
    );
    const json = jsonObjectOf(answer.text);
    if (answer.status < 200 || answer.status >= 300) throw graphError(answer.status, json, answer.text);
    return json;
  }

  /** Upload a document to the media endpoint; every failure is definite (no message went out). */
  private async upload(file: OutboundAttachment, credential: Record<string, string>, signal: AbortSignal, egress: EgressPolicy): Promise<UploadedMedia> {
    const boundary = `tadfuq-${randomBytes(12).toString('hex')}`;
    const { body, contentType } = multipart(boundary, [
      { name: 'messaging_product', value: 'whatsapp' },
      { name: 'type', value: file.contentType },
      { name: 'file', filename: file.filename, contentType: file.contentType, data: file.data },
    ]);
    try {
      const json = await this.post(credential, 'media', body, contentType, signal, egress);
      const id = json?.id;
      if (typeof id !== 'string' || id === '') throw new ProviderError('media_upload_failed', 'whatsapp-cloud: the media upload answered no id', true, true);
      return { id, filename: file.filename };
    } catch (err) {
      // Only the upload happened: whatever its outcome, the recipient got nothing.
      if (err instanceof ProviderError && !err.definite) throw new ProviderError('media_upload_failed', `${err.message.replace(/; the message may have been sent$/, '')}; the document upload failed, no message was sent`, true, true);
      throw err;
    }
  }

  async send(message: OutboundMessage, credential: Record<string, string>, signal: AbortSignal, egress: EgressPolicy): Promise<ProviderSendResult> {
    if (message.channel !== 'whatsapp') throw new ProviderError('unsupported_channel', `whatsapp-cloud sends WhatsApp only, not ${message.channel}`, true, false);
    const { accessToken, phoneNumberId } = credential;
    if (!accessToken || !phoneNumberId) throw new ProviderError('invalid_credential', 'whatsapp-cloud: the credential needs accessToken and phoneNumberId', true, false);
    if ((message.attachments?.length ?? 0) > 1) throw new ProviderError('invalid_message', 'whatsapp-cloud: a message carries one document', true, false);
    const file = message.attachments?.[0];
    const media = file ? await this.upload(file, credential, signal, egress) : undefined;
    const json = await this.post(credential, 'messages', JSON.stringify(messageBody(message, media)), 'application/json', signal, egress);
    const messages = Array.isArray(json?.messages) ? (json.messages as Array<Record<string, unknown>>) : [];
    const id = messages[0]?.id;
    if (typeof id === 'string' && id !== '') return { providerMessageId: id, status: 'queued' };
    throw new ProviderError('unexpected_answer', 'whatsapp-cloud: the answer names no message id; the message may have been sent', false, false);
  }
}

export const whatsappCloudProvider = new WhatsAppCloudProvider();

export interface SyncedTemplate {
  id: string | null;
  name: string;
  language: string;
  status: string;
  category: string;
  body: string | null;
}

/**
 * The WhatsApp Business Account's message templates, every page (at most `maxPages` of 100).
 * Throws ProviderError (a refusal or an unreachable API); nothing is sent to anyone.
 */
export async function fetchTemplates(credential: Record<string, string>, signal: AbortSignal, egress: EgressPolicy, options: { timeoutMs?: number; maxPages?: number } = {}): Promise<SyncedTemplate[]> {
  const { accessToken, businessAccountId } = credential;
  if (!accessToken || !businessAccountId) throw new ProviderError('invalid_credential', 'whatsapp-cloud: syncing templates needs accessToken and businessAccountId', true, false);
  const base = baseUrlOf(credential, GRAPH_API, 'whatsapp-cloud');
  const out: SyncedTemplate[] = [];
  let after: string | null = null;
  for (let page = 0; page < (options.maxPages ?? 50); page++) {
    const query = new URLSearchParams({ fields: 'id,name,language,status,category,components', limit: '100', ...(after ? { after } : {}) });
    const answer = await providerRequest(
      'whatsapp-cloud',
      {
        method: 'GET',
        url: `${joinUrl(base, `/${versionOf(credential)}/${encodeURIComponent(businessAccountId)}/message_templates`)}?${query}`,
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        timeoutMs: options.timeoutMs,
      },
      signal,
      egress,
    );
    const json = jsonObjectOf(answer.text);
    if (answer.status < 200 || answer.status >= 300) throw graphError(answer.status, json, answer.text);
    if (!json || !Array.isArray(json.data)) throw new ProviderError('unexpected_answer', 'whatsapp-cloud: the template list is not {data: […]}', true, true);
    for (const t of json.data as Array<Record<string, unknown>>) {
      if (typeof t?.name !== 'string' || typeof t.language !== 'string') continue;
      const components = Array.isArray(t.components) ? (t.components as Array<Record<string, unknown>>) : [];
      const body = components.find((c) => String(c?.type).toUpperCase() === 'BODY')?.text;
      out.push({
        id: typeof t.id === 'string' ? t.id : null,
        name: t.name.slice(0, 512),
        language: t.language.slice(0, 16),
        status: String(t.status ?? 'UNKNOWN').toUpperCase().slice(0, 32),
        category: String(t.category ?? 'UNKNOWN').toLowerCase().slice(0, 32),
        body: typeof body === 'string' ? body : null,
      });
    }
    const paging = json.paging as { cursors?: { after?: unknown }; next?: unknown } | undefined;
    after = typeof paging?.cursors?.after === 'string' && typeof paging.next === 'string' ? paging.cursors.after : null;
    if (!after) return out;
  }
  return out;
}

type Part = { name: string; value: string } | { name: string; filename: string; contentType: string; data: Buffer };

/** A multipart/form-data body (RFC 7578: the file name as UTF-8 in `filename`, quotes and line breaks escaped as browsers do; no `filename*`). */
export function multipart(boundary: string, parts: Part[]): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('value' in part) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`, 'utf8'));
      continue;
    }
    const name = part.filename.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
    const disposition = `form-data; name="${part.name}"; filename="${name}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: ${part.contentType}\r\n\r\n`, 'utf8'), part.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
