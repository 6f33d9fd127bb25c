// Pieces shared by the deals and meetings routes: sales reps' scope (their own records only,
// like contacts) and the CRM's refusals as API errors.
import { ApiError } from '../api-error.js';
import { NO_OWNER, type Auth } from '../auth/auth-context.js';
import { CrmRefused } from './crm-service.js';

/** The owner a sales rep is limited to (an API key with the role owns nothing); null for other roles. */
export function ownScope(auth: Auth): string | null {
  if (auth.role !== 'sales_rep') return null;
  return auth.principal.kind === 'user' ? auth.principal.userId : NO_OWNER;
}

/** `owner=me` or an id, as a filter; a sales rep is always limited to their own. */
export function ownerFilter(auth: Auth, owner: string | undefined): string | undefined {
  const own = ownScope(auth);
  if (own !== null) return own;
  if (owner === 'me') return auth.principal.kind === 'user' ? auth.principal.userId : NO_OWNER;
  return owner;
}

/** The owner a new record gets: a sales rep's own id (they cannot give it to anyone else). */
export function ownerFor(auth: Auth, requested: string | null | undefined, path = '/body/ownerId'): string | null | undefined {
  const own = ownScope(auth);
  if (own === null) return requested ?? (auth.principal.kind === 'user' ? auth.principal.userId : undefined);
  if (auth.principal.kind !== 'user') throw new ApiError(403, 'owner_not_allowed', 'a sales_rep API key owns nothing: use a manager’s key');
  if (requested !== undefined && requested !== own) {
    throw new ApiError(403, 'owner_not_allowed', 'a sales rep cannot give a record to someone else', [{ path, code: 'owner_not_allowed', message: 'only managers assign records to others' }]);
  }
  return own;
}

/** A guard for updates: a sales rep may touch only records they own (others read as 404). */
export function ownedBy(auth: Auth, what: string): (record: { ownerId: string | null }) => void {
  const own = ownScope(auth);
  return (record) => {
    if (own !== null && record.ownerId !== own) throw new CrmRefused('not_found', 'not_found', `${what} not found`);
  };
}
