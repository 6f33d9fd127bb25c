// Placeholder: the templates page (being built).
import { useI18n } from '../i18n/i18n';

export function TemplatesPage() {
  const { t } = useI18n();
  return (
    <main id="main" className="page">
      <h1>{t('nav.templates')}</h1>
    </main>
  );
}
