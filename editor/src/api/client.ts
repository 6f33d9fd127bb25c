// The one way the editor talks to the server: JSON over fetch, bearer token, errors as ApiError.
//
// Tokens: the access token lives only in memory (a page reload drops it); the refresh token is
// kept in sessionStorage so a reload or a new route in the same tab stays signed in, while
// closing the tab ends the session and other tabs never see it. (The API offers no httpOnly
// cookie; a script injected into the page could read sessionStorage, which the strict CSP the
// server sends makes hard.) An answer 401 `token_expired` refreshes once and retries.
import type { Problem, Session } from './types';

const REFRESH_KEY = 'tadfuq.refreshToken';
const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Problem[] = [],
    readonly body: unknown = undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = (session: Session | null) => void;

let accessToken: string | null = null;
let refreshing: Promise<Session> | null = null;
const listeners = new Set<Listener>();

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function hasStoredSession(): boolean {
  return sessionStorage.getItem(REFRESH_KEY) !== null;
}

export function adoptSession(session: Session | null): void {
  accessToken = session?.accessToken ?? null;
  if (session) sessionStorage.setItem(REFRESH_KEY, session.refreshToken);
  else sessionStorage.removeItem(REFRESH_KEY);
  for (const l of listeners) l(session);
}

/** New tokens from the stored refresh token (one call at a time; rotation makes a second one fail). */
export function refreshSession(): Promise<Session> {
  refreshing ??= (async () => {
    try {
      const refreshToken = sessionStorage.getItem(REFRESH_KEY);
      if (!refreshToken) throw new ApiError(401, 'signed_out', 'not signed in');
      const { data: session } = await send<Session>('POST', '/auth/refresh', { refreshToken }, false);
      adoptSession(session);
      return session;
    } catch (err) {
      adoptSession(null);
      throw err;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function send<T>(method: string, path: string, body: unknown, auth: boolean, signal?: AbortSignal): Promise<{ status: number; data: T }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth && accessToken) headers.authorization = `Bearer ${accessToken}`;
  const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const text = await res.text();
  const data: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: Problem[] } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? res.statusText, err?.details ?? [], data);
  }
  return { status: res.status, data: data as T };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface RequestOptions { signal?: AbortSignal }

/**
 * An authenticated call answering the status too (201 vs 202 matter for publish and test
 * runs); refreshes the tokens once when the access token has expired.
 */
export async function requestWithStatus<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<{ status: number; data: T }> {
  if (!accessToken && hasStoredSession()) await refreshSession();
  try {
    return await send<T>(method, path, body, true, opts.signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && err.code === 'token_expired') {
      await refreshSession();
      return send<T>(method, path, body, true, opts.signal);
    }
    if (err instanceof ApiError && err.status === 401) adoptSession(null);
    throw err;
  }
}

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  return (await requestWithStatus<T>(method, path, body, opts)).data;
}

export async function login(email: string, password: string, tenant?: string): Promise<Session> {
  const { data: session } = await send<Session>('POST', '/auth/login', { email, password, ...(tenant ? { tenant } : {}) }, false);
  adoptSession(session);
  return session;
}

/** Accepts an invitation (a new account, or an existing one's password) and signs in to its tenant. */
export async function acceptInvitation(token: string, password: string, name?: string): Promise<Session> {
  const { data: session } = await send<Session>('POST', '/auth/invitations/accept', { token, password, ...(name ? { name } : {}) }, false);
  adoptSession(session);
  return session;
}

export async function logout(): Promise<void> {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  try {
    if (refreshToken) await send('POST', '/auth/logout', { refreshToken }, true);
  } finally {
    adoptSession(null);
  }
}

export async function switchTenant(slug: string): Promise<Session> {
  const session = await request<Session>('POST', '/auth/switch-tenant', { tenant: slug });
  adoptSession(session);
  return session;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: (path: string) => request<void>('DELETE', path),
};
