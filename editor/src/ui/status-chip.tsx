import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';

export function StatusChip({ status }: { status: string }) {
  const { t } = useI18n();
  const key = `status.${status}` as MessageKey;
  return <span className={`status-chip status-${status}`}>{t(key) === key ? status : t(key)}</span>;
}
