// Short messages for the user ("Published version 2"), announced by screen readers.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/i18n';
import { Icon } from './icons';

type Kind = 'info' | 'success' | 'error';
interface Notice { id: number; text: string; kind: Kind }

const NoticeContext = createContext<(text: string, kind?: Kind) => void>(() => undefined);

export function NoticeProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const next = useRef(1);
  const { t } = useI18n();
  const dismiss = useCallback((id: number) => setNotices((list) => list.filter((n) => n.id !== id)), []);
  const notify = useCallback(
    (text: string, kind: Kind = 'info') => {
      const id = next.current++;
      setNotices((list) => [...list.slice(-3), { id, text, kind }]);
      setTimeout(() => dismiss(id), kind === 'error' ? 12_000 : 6_000);
    },
    [dismiss],
  );
  const value = useMemo(() => notify, [notify]);
  return (
    <NoticeContext.Provider value={value}>
      {children}
      <div className="notices" role="status" aria-live="polite">
        {notices.map((n) => (
          <div key={n.id} className={`notice notice-${n.kind}`} data-testid="notice">
            <span>{n.text}</span>
            <button type="button" className="icon-button" aria-label={t('app.dismiss')} onClick={() => dismiss(n.id)}>
              <Icon name="close" size={14} />
            </button>
          </div>
        ))}
      </div>
    </NoticeContext.Provider>
  );
}

export const useNotify = () => useContext(NoticeContext);
