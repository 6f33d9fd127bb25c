// Placeholder: the approvals page (being built).
import { useI18n } from '../i18n/i18n';

export function ApprovalsPage() {
  const { t } = useI18n();
  return (
    <main id="main" className="page">
      <h1>{t('nav.approvals')}</h1>
    </main>
  );
}
