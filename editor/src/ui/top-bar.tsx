// The bar on every signed-in page: navigation, workspace (tenant) switcher, language, sign out.
import { useState } from 'react';
import { Link, navigate } from '../router';
import { useSession } from '../session/session';
import { useI18n } from '../i18n/i18n';
import { useNotify } from './notices';
import type { MessageKey } from '../i18n/messages.en';

export type Section = 'flows' | 'executions' | 'escalations' | 'contacts' | 'templates' | 'approvals' | 'credentials' | 'users' | 'llmRouting';

export function TopBar({ current }: { current: Section | null }) {
  const session = useSession();
  const { t } = useI18n();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const me = session.me;
  if (!me) return null;
  const switchTenant = async (slug: string) => {
    setBusy(true);
    try {
      await session.switchTo(slug);
      navigate('/flows');
    } catch (err) {
      notify(t('app.error', { message: (err as Error).message }), 'error');
    } finally {
      setBusy(false);
    }
  };
  const other = session.locale === 'ar' ? 'en' : 'ar';
  return (
    <header className="top-bar">
      <Link to="/flows" className="brand">
        <span className="brand-mark" aria-hidden="true">
          ⟿
        </span>
        {t('app.name')}
      </Link>
      <nav aria-label={t('nav.main')} className="main-nav">
        <Link to="/flows" aria-current={current === 'flows' ? 'page' : undefined}>
          {t('nav.flows')}
        </Link>
        <Link to="/executions" aria-current={current === 'executions' ? 'page' : undefined}>
          {t('nav.executions')}
        </Link>
        {session.can('escalations.read') && (
          <Link to="/escalations" aria-current={current === 'escalations' ? 'page' : undefined}>
            {t('nav.escalations')}
          </Link>
        )}
        {session.can('contacts.read') && (
          <Link to="/contacts" aria-current={current === 'contacts' ? 'page' : undefined}>
            {t('nav.contacts')}
          </Link>
        )}
        {session.can('templates.import') && (
          <Link to="/templates" aria-current={current === 'templates' ? 'page' : undefined}>
            {t('nav.templates')}
          </Link>
        )}
        {session.can('flows.publish.classB') && (
          <Link to="/approvals" aria-current={current === 'approvals' ? 'page' : undefined}>
            {t('nav.approvals')}
          </Link>
        )}
        {session.can('credentials.read') && (
          <Link to="/settings/credentials" aria-current={current === 'credentials' ? 'page' : undefined}>
            {t('nav.credentials')}
          </Link>
        )}
        {session.can('users.read') && (
          <Link to="/settings/users" aria-current={current === 'users' ? 'page' : undefined}>
            {t('nav.users')}
          </Link>
        )}
        {session.can('ai.routing.manage') && (
          <Link to="/settings/ai-routing" aria-current={current === 'llmRouting' ? 'page' : undefined}>
            {t('nav.llmRouting')}
          </Link>
        )}
      </nav>
      <div className="top-bar-end">
        <label className="tenant-switch">
          <span className="visually-hidden">{t('nav.tenant')}</span>
          <select value={me.tenant.slug} disabled={busy || me.tenants.length < 2} onChange={(e) => void switchTenant(e.target.value)} data-testid="tenant-switcher">
            {me.tenants.map((tn) => (
              <option key={tn.slug} value={tn.slug}>
                {tn.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button ghost"
          lang={other}
          aria-label={`${t('nav.language')}: ${other === 'ar' ? t('nav.switchToArabic') : t('nav.switchToEnglish')}`}
          onClick={() => void session.setLocale(other).catch((err: Error) => notify(t('app.error', { message: err.message }), 'error'))}
          data-testid="locale-switch"
        >
          {other === 'ar' ? t('nav.switchToArabic') : t('nav.switchToEnglish')}
        </button>
        <span className="who" title={me.user.email}>
          {t('nav.signedInAs', { name: me.user.name, role: t(`role.${me.role}` as MessageKey) })}
        </span>
        <button type="button" className="button ghost" onClick={() => void session.signOut().then(() => navigate('/login'))}>
          {t('nav.signOut')}
        </button>
      </div>
    </header>
  );
}
