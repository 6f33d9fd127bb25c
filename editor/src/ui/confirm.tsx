// A modal yes/no question on the native <dialog> (focus trap and Escape come with it).
import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n/i18n';

export function ConfirmDialog({ message, confirmLabel, onConfirm, onCancel }: { message: string; confirmLabel?: string; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { t } = useI18n();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="confirm-text" onCancel={onCancel}>
      <p id="confirm-text">{message}</p>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onCancel} autoFocus>
          {t('app.cancel')}
        </button>
        <button type="button" className="button danger" onClick={onConfirm}>
          {confirmLabel ?? t('app.confirm')}
        </button>
      </div>
    </dialog>
  );
}
