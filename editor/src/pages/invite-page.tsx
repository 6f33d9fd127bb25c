// Accepting an invitation from the link an admin sent (/invite#<token>): a new account gives a
// name and a password, an existing one its password; then the invitee is signed in to the tenant.
// The token travels in the URL fragment, which the browser never sends to a server.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import type { Problem } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { navigate } from '../router';
import { useSession } from '../session/session';
import { useNotify } from '../ui/notices';

export function InvitePage() {
  const session = useSession();
  const { t } = useI18n();
  const notify = useNotify();
  const [token] = useState(() => decodeURIComponent(location.hash.slice(1)));
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  // The API's field problems in the page's language (its own messages are English).
  const problemAt = (path: string) => {
    const p = problems.find((x) => x.path === path);
    if (!p) return undefined;
    if (path === '/body/password') return t('invite.passwordShort');
    if (path === '/body/name') return t('invite.nameRequired');
    return p.message;
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    setProblems([]);
    try {
      const tenant = await session.acceptInvitation(token, password, name.trim() || undefined);
      history.replaceState(null, '', '/invite'); // the token is spent: keep it out of the history
      navigate('/flows', { replace: true });
      notify(t('invite.joined', { tenant }), 'success');
    } catch (err) {
      if (err instanceof ApiError && err.status === 410) setError(t('invite.gone'));
      else if (err instanceof ApiError && err.status === 401) setError(t('invite.wrongPassword'));
      else if (err instanceof ApiError && err.details.some((p) => p.path === '/body/password' || p.path === '/body/name')) setProblems(err.details);
      else setError(t('invite.failed', { message: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  const other = session.locale === 'ar' ? 'en' : 'ar';
  return (
    <main id="main" className="login-page">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="invite-title" data-testid="invite-form">
        <button type="button" className="button ghost login-lang" lang={other} onClick={() => void session.setLocale(other)} data-testid="locale-switch">
          {other === 'ar' ? t('nav.switchToArabic') : t('nav.switchToEnglish')}
        </button>
        <h1 id="invite-title">{t('invite.title')}</h1>
        {!token.startsWith('tdf_inv_') ? (
          <p className="form-error" role="alert">
            {t('invite.missing')}
          </p>
        ) : (
          <>
            <p className="muted">{t('invite.intro')}</p>
            <label className="field">
              <span>{t('invite.name')}</span>
              <input autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} data-testid="invite-name" aria-invalid={problemAt('/body/name') ? true : undefined} />
              {problemAt('/body/name') && <span className="error-detail">{problemAt('/body/name')}</span>}
            </label>
            <label className="field">
              <span>{t('invite.password')}</span>
              <input
                type="password"
                dir="ltr"
                autoComplete="new-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                data-testid="invite-password"
                aria-invalid={problemAt('/body/password') ? true : undefined}
              />
              {problemAt('/body/password') && <span className="error-detail">{problemAt('/body/password')}</span>}
            </label>
            {error && (
              <p className="form-error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? t('invite.submitting') : t('invite.submit')}
            </button>
          </>
        )}
      </form>
    </main>
  );
}
