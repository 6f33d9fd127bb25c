// Placeholder: the credentials page (being built).
import { useI18n } from '../i18n/i18n';

export function CredentialsPage() {
  const { t } = useI18n();
  return (
    <main id="main" className="page">
      <h1>{t('nav.credentials')}</h1>
    </main>
  );
}
