// Placeholder: the users page (being built).
import { useI18n } from '../i18n/i18n';

export function UsersPage() {
  const { t } = useI18n();
  return (
    <main id="main" className="page">
      <h1>{t('nav.users')}</h1>
    </main>
  );
}
