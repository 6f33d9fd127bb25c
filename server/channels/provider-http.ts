// The HTTP transport of the channel providers (UltraMsg directly, Twilio as the SDK's
// httpClient): undici fetch with a connect timeout, an overall timeout, the caller's abort
// signal, no redirects, and one classification of failures into ProviderError:
//
// - the request certainly never reached the provider (connection refused, DNS failure,
//   connect timeout, TLS failure, aborted before starting) → definite (safe to retry/mark failed);
// - anything after the request may have been written (a reset or close mid-answer, the overall
//   timeout or an abort while waiting, a body cut short) → NOT definite: the message may have
//   gone out, so the outbox marks it uncertain and never sends it again.
//
// Every connection goes through the egress guard (engine/runtime/egress-guard.ts) with the
// tenant's policy: a base URL on a private address (literal, or a name resolving to one) is
// refused before connecting — `address_not_allowed`, definite, not retryable.
import { fetch, type Dispatcher } from 'undici';
import { egressDispatcher, egressRefusalIn, hostRefusal, type EgressPolicy } from '../../engine/index.js';
import { ProviderError } from './provider.js';

export const DEFAULT_PROVIDER_TIMEOUT_MS = 15_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** One pool per egress policy for every provider call (keep-alive to the providers' API hosts). */
const guarded = egressDispatcher({ allowPrivateNetwork: false }, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
const open = egressDispatcher({ allowPrivateNetwork: true }, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
const dispatcherFor = (egress: EgressPolicy): Dispatcher => (egress.allowPrivateNetwork ? open : guarded);

/** The guard's refusal as a provider failure: nothing was sent, and sending again will not help. */
const refusedError = (provider: string, message: string): ProviderError => new ProviderError('address_not_allowed', `${provider}: ${message}`, true, false);

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface ProviderRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Text, or bytes (a multipart upload). */
  body?: string | Uint8Array;
  timeoutMs?: number;
}

/** Errors raised before any byte reached the provider (nothing to be uncertain about). */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_INVALID_URL',
]);
const TLS_FAILURE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown; errors?: { code?: unknown }[] } })?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  // Happy eyeballs: an AggregateError of one failure per address.
  const first = cause?.errors?.find((e) => typeof e?.code === 'string');
  return typeof first?.code === 'string' ? first.code : undefined;
}

/** Map a transport failure (fetch threw, or reading the answer failed) to a ProviderError. */
export function transportError(err: unknown, provider: string, signal: AbortSignal, started: boolean): ProviderError {
  if (err instanceof ProviderError) return err;
  const refused = egressRefusalIn(err);
  if (refused) return refusedError(provider, refused.message);
  if (!started) return new ProviderError('aborted', `${provider}: the send was aborted before the request started`, true, true);
  if (signal.aborted) return new ProviderError('aborted', `${provider}: the send was aborted while the request was in flight; the message may have been sent`, false, false);
  const name = (err as { name?: string })?.name;
  if (name === 'TimeoutError') return new ProviderError('timeout', `${provider}: no answer in time; the message may have been sent`, false, false);
  const code = causeCode(err);
  if (code && NOT_SENT.has(code)) return new ProviderError('unreachable', `${provider}: cannot connect (${code}); nothing was sent`, true, true);
  if (code && TLS_FAILURE.test(code)) return new ProviderError('tls_failed', `${provider}: TLS failure (${code}); nothing was sent`, true, false);
  return new ProviderError('connection_lost', `${provider}: the connection failed during the request (${code ?? (err as Error)?.message ?? 'unknown'}); the message may have been sent`, false, false);
}

/**
 * One request to a provider, answered as text whatever the status (the caller interprets
 * 4xx/5xx). Throws ProviderError for transport failures only.
 */
export async function providerRequest(provider: string, request: ProviderRequest, signal: AbortSignal, egress: EgressPolicy): Promise<HttpAnswer> {
  if (signal.aborted) throw transportError(signal.reason, provider, signal, false);
  let host: string;
  try {
    host = new URL(request.url).hostname;
  } catch {
    throw new ProviderError('invalid_credential', `${provider}: the request URL is not a URL`, true, false);
  }
  const refused = hostRefusal(host, egress);
  if (refused) throw refusedError(provider, refused.message);
  const combined = AbortSignal.any([signal, AbortSignal.timeout(request.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS)]);
  try {
    const res = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: combined,
      dispatcher: dispatcherFor(egress),
    });
    const text = await res.text();
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return { status: res.status, headers, text };
  } catch (err) {
    throw transportError(err, provider, signal, true);
  }
}

/**
 * A provider's answer status that is not a success: 429 and 503 are definite and retryable
 * (the provider says it did not take the request now), other 4xx are definite refusals, and
 * other 5xx are uncertain (a gateway error may come after the provider accepted the message).
 */
export function statusError(provider: string, status: number, code: string | null, message: string): ProviderError {
  if (status === 429) return new ProviderError('rate_limited', `${provider}: rate limited: ${message}`, true, true);
  if (status === 503) return new ProviderError('unavailable', `${provider}: service unavailable: ${message}`, true, true);
  if (status === 401 || status === 403) return new ProviderError('auth_failed', `${provider}: the credential was refused: ${message}`, true, false);
  if (status >= 300 && status < 400) return new ProviderError('unexpected_redirect', `${provider}: answered a redirect (${status}); check the base URL`, true, false);
  if (status >= 400 && status < 500) return new ProviderError(code ?? 'rejected', `${provider}: ${message}`, true, false);
  return new ProviderError('provider_error', `${provider}: HTTP ${status}: ${message}; the message may have been sent`, false, false);
}

/**
 * The base URL a credential points a provider at: its `baseUrl` field (a self-hosted gateway,
 * or the local fake server in tests), else the provider's public API. Only http(s) origins;
 * plain http only to loopback hosts.
 */
export function baseUrlOf(credential: Record<string, unknown>, fallback: string, provider: string): URL {
  const given = credential.baseUrl;
  if (given === undefined || given === null || given === '') return new URL(fallback);
  let url: URL;
  try {
    url = new URL(String(given));
  } catch {
    throw new ProviderError('invalid_credential', `${provider}: baseUrl is not a URL`, true, false);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ProviderError('invalid_credential', `${provider}: baseUrl must be https (plain http only to a loopback address)`, true, false);
  }
  return url;
}

/** Join a base URL (which may carry a path prefix) and a path. */
export function joinUrl(base: URL, path: string): string {
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}

/** A provider's answer body as a JSON object, or null when it is not one (not JSON, an array, a scalar). */
export function jsonObjectOf(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
