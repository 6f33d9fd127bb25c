import { useState, type FormEvent } from 'react';
import { useSession } from '../session/session';
import { useI18n } from '../i18n/i18n';
import { navigate } from '../router';

export function LoginPage() {
  const session = useSession();
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await session.signIn(email, password);
      const next = new URLSearchParams(location.search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/flows', { replace: true });
    } catch (err) {
      setError(t('login.failed', { message: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  const other = session.locale === 'ar' ? 'en' : 'ar';
  return (
    <main id="main" className="login-page">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <button type="button" className="button ghost login-lang" lang={other} onClick={() => void session.setLocale(other)} data-testid="locale-switch">
          {other === 'ar' ? t('nav.switchToArabic') : t('nav.switchToEnglish')}
        </button>
        <h1 id="login-title">{t('login.title')}</h1>
        <p className="muted">{t('login.subtitle')}</p>
        <label className="field">
          <span>{t('login.email')}</span>
          <input type="email" dir="ltr" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          <span>{t('login.password')}</span>
          <input type="password" dir="ltr" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
        <p className="muted small" dir="auto">
          {t('login.demoHint')}
        </p>
      </form>
    </main>
  );
}
