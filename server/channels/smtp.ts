// Email through nodemailer's SMTP transport, built from the tenant's `smtp` credential
// {host, port, secure, user, pass, from}. One connection per send (no pool): sends are rare
// next to the engine's other work, and a pooled connection would outlive credential changes.
//
// The Message-ID is derived from the outbox message id (`<referenceId@sender-domain>`), so a
// message is recognisable in the recipient's headers, bounces and in the provider id the outbox
// stores. Text is always sent; `html` (optional) is the alternative part. Templates are rendered
// from the text (and html: variables HTML-escaped) and subject with their variables. Stored
// documents (OutboundMessage.attachments, e.g. proposal PDFs) go as real MIME attachments
// (base64, their file name — Arabic too, RFC 2231 — and content type).
//
// Failures: the SMTP server's refusal of the envelope or the message (a 4yz/5yz reply) is
// definite (4yz retryable, 5yz not); no connection, DNS failure, TLS failure or a connect /
// greeting timeout is definite and retryable (nothing was sent); a connection lost or a socket
// timeout while talking to the server is uncertain (the server may have accepted the message).
//
// Egress: nodemailer opens its own sockets, so the transport gets our socket instead (its
// documented `getSocket` hook, as a proxy would): guardedConnect() resolves the host, refuses a
// non-public address unless the tenant allows private networks (address_not_allowed, definite,
// not retryable), and connects to the checked address; nodemailer then speaks SMTP on it and
// negotiates TLS (secure or STARTTLS) with the credential's host name as servername.
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { egressRefusalIn, guardedConnect, type EgressPolicy } from '../../engine/index.js';
import type { ChannelProvider, OutboundMessage, ProviderSendResult } from './provider.js';
import { ProviderError } from './provider.js';
import { messageText, renderTemplate } from './message-text.js';

const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const SETUP_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `<referenceId@domain>` with the domain of the sender address (default `tadfuq.invalid`). */
export function messageIdFor(referenceId: string, from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const domain = /@([A-Za-z0-9.-]+)\s*$/.exec(address.trim())?.[1] ?? 'tadfuq.invalid';
  const local = referenceId.replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]/g, '_') || 'message';
  return `<${local}@${domain.toLowerCase()}>`;
}

interface SmtpError {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  timeoutType?: string;
  command?: string;
  message?: string;
}

/** A nodemailer error as a ProviderError (see the header). */
export function smtpError(err: unknown, abortedBeforeStart: boolean): ProviderError {
  if (err instanceof ProviderError) return err;
  const refused = egressRefusalIn(err);
  if (refused) return new ProviderError('address_not_allowed', `smtp: ${refused.message}`, true, false);
  const e = (err ?? {}) as SmtpError;
  const text = `smtp: ${(e.message ?? String(err)).slice(0, 500)}`;
  // A failure of our own connect (getSocket, before nodemailer saw a socket): nothing was sent.
  if (e.code && NOT_CONNECTED.has(e.code)) return new ProviderError('unreachable', text, true, true);
  switch (e.code) {
    case 'EAUTH':
    case 'ENOAUTH':
      return new ProviderError('auth_failed', text, true, false);
    case 'ECONFIG':
      return new ProviderError('invalid_credential', text, true, false);
    case 'EDNS':
      return new ProviderError('unreachable', text, true, true);
    case 'ETLS':
    case 'EREQUIRETLS':
      return new ProviderError('tls_failed', text, true, false);
    case 'EABORT':
      return abortedBeforeStart ? new ProviderError('aborted', text, true, true) : new ProviderError('aborted', `${text}; the message may have been sent`, false, false);
    case 'EENVELOPE':
    case 'EMESSAGE':
      if (typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 600) {
        return e.responseCode < 500 || e.responseCode === 503
          ? new ProviderError('deferred', text, true, true)
          : new ProviderError(e.code === 'EENVELOPE' ? 'invalid_recipient' : 'rejected', text, true, false);
      }
      // Refused before anything reached the server (no recipients, invalid address, too large).
      if (e.command === 'API' || e.command === 'MAIL FROM') return new ProviderError('rejected', text, true, false);
      return new ProviderError('connection_lost', `${text}; the message may have been sent`, false, false);
    case 'ETIMEDOUT':
      if (e.timeoutType && SETUP_TIMEOUTS.has(e.timeoutType)) return new ProviderError('timeout', `${text}; nothing was sent`, true, true);
      return new ProviderError('timeout', `${text}; the message may have been sent`, false, false);
    case 'ECONNECTION':
    case 'ESOCKET':
      if (e.originalCode && NOT_CONNECTED.has(e.originalCode)) return new ProviderError('unreachable', text, true, true);
      if (e.originalCode && /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(e.originalCode)) return new ProviderError('tls_failed', text, true, false);
      return new ProviderError('connection_lost', `${text}; the message may have been sent`, false, false);
    default:
      return new ProviderError('provider_error', `${text}; the message may have been sent`, false, false);
  }
}

export interface SmtpOptions {
  connectionTimeoutMs?: number;
  socketTimeoutMs?: number;
}

export class SmtpProvider implements ChannelProvider {
  readonly name = 'smtp' as const;
  readonly channels = ['email'] as const;
  readonly credentialType = 'smtp';
  readonly attachments = true;

  constructor(private readonly options: SmtpOptions = {}) {}

  async send(message: OutboundMessage, credential: Record<string, string>, signal: AbortSignal, egress: EgressPolicy): Promise<ProviderSendResult> {
    if (message.channel !== 'email') throw new ProviderError('unsupported_channel', `smtp sends email only, not ${message.channel}`, true, false);
    const c = credential as unknown as { host?: string; port?: number | string; secure?: boolean | string; user?: string; pass?: string; from?: string };
    if (!c.host || !c.port || !c.from) throw new ProviderError('invalid_credential', 'smtp: the credential needs host, port and from', true, false);
    const text = messageText(message, 'smtp');
    const variables = message.template?.variables;
    const subject = message.template && message.subject ? renderTemplate(message.subject, variables, 'smtp') : (message.subject ?? '');
    let html: string | undefined;
    if (message.html) {
      const escaped = variables ? Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, escapeHtml(String(v))])) : undefined;
      html = message.template ? renderTemplate(message.html, escaped, 'smtp') : message.html;
    }
    const messageId = messageIdFor(message.referenceId, c.from);
    if (signal.aborted) throw new ProviderError('aborted', 'smtp: the send was aborted before it started', true, true);
    const port = Number(c.port);
    const connectTimeoutMs = this.options.connectionTimeoutMs ?? 10_000;
    const host = c.host;
    // The only way this transport connects: through the egress guard (see the header).
    const getSocket: SMTPTransport.Options['getSocket'] = (_options, callback) => {
      guardedConnect({ host, port, policy: egress, timeoutMs: connectTimeoutMs, signal }).then(
        (connection) => callback(null, { connection }),
        (err: unknown) => {
          const e = err as { code?: string; timeoutType?: string };
          if (e?.code === 'ETIMEDOUT') e.timeoutType = 'CONNECT_TIMEOUT';
          callback(err as Error, false);
        },
      );
    };
    const transport = nodemailer.createTransport({
      host,
      port,
      getSocket,
      secure: c.secure === true || c.secure === 'true',
      auth: c.user ? { user: c.user, pass: c.pass ?? '' } : undefined,
      connectionTimeout: connectTimeoutMs,
      greetingTimeout: connectTimeoutMs,
      socketTimeout: this.options.socketTimeoutMs ?? 30_000,
    });
    try {
      const info = await transport.sendMail({
        from: c.from,
        to: message.to,
        subject,
        text,
        ...(html !== undefined ? { html } : {}),
        ...(message.attachments?.length ? { attachments: message.attachments.map((a) => ({ filename: a.filename, content: a.data, contentType: a.contentType, contentDisposition: 'attachment' as const })) } : {}),
        messageId,
        headers: { 'X-Tadfuq-Message-Id': message.referenceId },
        signal,
      } as Parameters<typeof transport.sendMail>[0]);
      const rejected = (info.rejected ?? []) as unknown[];
      if (rejected.length > 0 && ((info.accepted ?? []) as unknown[]).length === 0) {
        throw new ProviderError('invalid_recipient', 'smtp: the server refused the recipient', true, false);
      }
      return { providerMessageId: String(info.messageId || messageId), status: 'sent' };
    } catch (err) {
      throw smtpError(err, false);
    } finally {
      transport.close();
    }
  }
}

export const smtpProvider = new SmtpProvider();
