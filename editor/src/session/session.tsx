// Who is signed in, in which tenant, with which permissions; every page asks `can(...)`.
import { Fragment, createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { acceptInvitation, adoptSession, api, hasStoredSession, login, logout, onSessionChange, switchTenant } from '../api/client';
import type { Locale, Me } from '../api/types';

const LOCALE_KEY = 'tadfuq.locale';

export interface SessionState {
  status: 'loading' | 'signedOut' | 'signedIn';
  me: Me | null;
  /** The language shown: the user's once signed in, else the last one picked on this browser. */
  locale: Locale;
  can: (permission: string) => boolean;
  signIn: (email: string, password: string) => Promise<void>;
  /** Accepts an invitation and signs in to the tenant that sent it; answers the tenant's name. */
  acceptInvitation: (token: string, password: string, name?: string) => Promise<string>;
  signOut: () => Promise<void>;
  switchTo: (slug: string) => Promise<void>;
  setLocale: (locale: Locale) => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

function storedLocale(): Locale {
  return localStorage.getItem(LOCALE_KEY) === 'en' ? 'en' : 'ar';
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<SessionState['status']>(hasStoredSession() ? 'loading' : 'signedOut');
  const [me, setMe] = useState<Me | null>(null);
  const [anonLocale, setAnonLocale] = useState<Locale>(storedLocale);
  // Bumped by a tenant switch: the pages below remount, so none keeps the other tenant's data.
  const [epoch, setEpoch] = useState(0);

  const loadMe = useCallback(async () => {
    const next = await api.get<Me>('/auth/me');
    setMe(next);
    setStatus('signedIn');
    localStorage.setItem(LOCALE_KEY, next.user.locale);
  }, []);

  useEffect(() => {
    const off = onSessionChange((s) => {
      if (!s) {
        setMe(null);
        setStatus('signedOut');
      }
    });
    if (hasStoredSession()) loadMe().catch(() => adoptSession(null));
    return () => {
      off();
    };
  }, [loadMe]);

  const value = useMemo<SessionState>(() => {
    const permissions = new Set(me?.permissions ?? []);
    return {
      status,
      me,
      locale: me?.user.locale ?? anonLocale,
      can: (p) => permissions.has(p),
      signIn: async (email, password) => {
        await login(email, password);
        await loadMe();
      },
      acceptInvitation: async (token, password, name) => {
        const session = await acceptInvitation(token, password, name);
        await loadMe();
        return session.tenant.name;
      },
      signOut: async () => {
        await logout();
      },
      switchTo: async (slug) => {
        await switchTenant(slug);
        await loadMe();
        setEpoch((n) => n + 1);
      },
      setLocale: async (locale) => {
        localStorage.setItem(LOCALE_KEY, locale);
        setAnonLocale(locale);
        if (!me) return;
        setMe({ ...me, user: { ...me.user, locale } });
        const next = await api.patch<Me & { session?: unknown }>('/auth/me', { locale });
        setMe({ user: next.user, tenant: next.tenant, role: next.role, tenants: next.tenants, permissions: next.permissions });
      },
    };
  }, [status, me, anonLocale, loadMe]);

  return (
    <SessionContext.Provider value={value}>
      <Fragment key={epoch}>{children}</Fragment>
    </SessionContext.Provider>
  );
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
