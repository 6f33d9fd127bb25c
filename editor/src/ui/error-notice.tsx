// The page-level "something went wrong" line (an API error while loading or saving), announced
// to screen readers; renders nothing without a message.
import { useI18n } from '../i18n/i18n';

export function ErrorNotice({ message }: { message: string | null | undefined }) {
  const { t } = useI18n();
  if (!message) return null;
  return (
    <p className="form-error" role="alert">
      {t('app.error', { message })}
    </p>
  );
}
