// A small history-API router: the editor has a handful of pages, not worth a routing library.
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export type Route =
  | { page: 'login' }
  | { page: 'invite' }
  | { page: 'flows' }
  | { page: 'flow'; id: string }
  | { page: 'analytics'; id: string; from?: string; to?: string; version?: number; variant?: string }
  | { page: 'executions'; flowId?: string; status?: string }
  | { page: 'execution'; id: string }
  | { page: 'escalations' }
  | { page: 'contacts'; q?: string }
  | { page: 'contact'; id: string }
  | { page: 'templates' }
  | { page: 'approvals' }
  | { page: 'credentials' }
  | { page: 'users' }
  | { page: 'llmRouting' }
  | { page: 'notFound' };

export function parseRoute(pathname: string, search: string): Route {
  const q = new URLSearchParams(search);
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts[0] === 'flows' && parts.length === 1)) return { page: 'flows' };
  if (parts[0] === 'login') return { page: 'login' };
  if (parts[0] === 'invite' && parts.length === 1) return { page: 'invite' };
  if (parts[0] === 'flows' && parts[1] && parts[2] === 'analytics' && parts.length === 3) {
    const version = Number(q.get('version'));
    return {
      page: 'analytics',
      id: parts[1],
      from: q.get('from') ?? undefined,
      to: q.get('to') ?? undefined,
      version: Number.isInteger(version) && version > 0 ? version : undefined,
      variant: q.get('variant') ?? undefined,
    };
  }
  if (parts[0] === 'flows' && parts[1]) return { page: 'flow', id: parts[1] };
  if (parts[0] === 'executions' && parts[1]) return { page: 'execution', id: parts[1] };
  if (parts[0] === 'executions') return { page: 'executions', flowId: q.get('flowId') ?? undefined, status: q.get('status') ?? undefined };
  if (parts[0] === 'escalations' && parts.length === 1) return { page: 'escalations' };
  if (parts[0] === 'contacts' && parts[1]) return { page: 'contact', id: parts[1] };
  if (parts[0] === 'templates' && parts.length === 1) return { page: 'templates' };
  if (parts[0] === 'approvals' && parts.length === 1) return { page: 'approvals' };
  if (parts[0] === 'settings' && parts[1] === 'credentials') return { page: 'credentials' };
  if (parts[0] === 'settings' && parts[1] === 'users') return { page: 'users' };
  if (parts[0] === 'settings' && parts[1] === 'ai-routing') return { page: 'llmRouting' };
  if (parts[0] === 'contacts') return { page: 'contacts', q: q.get('q') ?? undefined };
  return { page: 'notFound' };
}

const NAV_EVENT = 'tadfuq:navigate';

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAV_EVENT));
}

export function useLocationKey(): string {
  const [key, setKey] = useState(() => location.pathname + location.search);
  useEffect(() => {
    const update = () => setKey(location.pathname + location.search);
    window.addEventListener('popstate', update);
    window.addEventListener(NAV_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAV_EVENT, update);
    };
  }, []);
  return key;
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
