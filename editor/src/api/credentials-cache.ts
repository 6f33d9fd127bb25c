// The tenant's credentials (metadata only: id, name, type), for the credential selects of the
// node forms. Fetched once per tenant and kept for a minute, so opening node after node does
// not ask again; forgetCredentials() drops it (e.g. after a credential is added or removed).
import { useEffect, useState } from 'react';
import { api } from './client';

export interface CredentialChoice {
  id: string;
  name: string;
  type: string;
}

const TTL_MS = 60_000;
const cache = new Map<string, { at: number; list: Promise<CredentialChoice[]> }>();

export function loadCredentials(tenantId: string): Promise<CredentialChoice[]> {
  const hit = cache.get(tenantId);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.list;
  const list = api.get<{ items: CredentialChoice[] }>('/credentials').then((r) => r.items.map(({ id, name, type }) => ({ id, name, type })));
  list.catch(() => cache.delete(tenantId));
  cache.set(tenantId, { at: Date.now(), list });
  return list;
}

export function forgetCredentials(): void {
  cache.clear();
}

/** The tenant's credentials, or null while loading (or when `enabled` is false: no credentials.read). */
export function useCredentials(tenantId: string, enabled: boolean): { items: CredentialChoice[] | null; failed: boolean } {
  const [state, setState] = useState<{ key: string; items: CredentialChoice[] | null; failed: boolean }>({ key: '', items: null, failed: false });
  const key = enabled ? tenantId : '';
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    loadCredentials(tenantId).then(
      (items) => live && setState({ key: tenantId, items, failed: false }),
      () => live && setState({ key: tenantId, items: null, failed: true }),
    );
    return () => {
      live = false;
    };
  }, [tenantId, enabled]);
  return state.key === key && enabled ? { items: state.items, failed: state.failed } : { items: null, failed: false };
}
