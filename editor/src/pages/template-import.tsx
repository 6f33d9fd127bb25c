// Import a template file: pick the file, send it; the server answers every problem at once.
import { useRef, useState } from 'react';
import { api, ApiError } from '../api/client';
import { useI18n } from '../i18n/i18n';
import { useNotify } from '../ui/notices';
import { Icon } from '../ui/icons';

interface ImportAnswer { template: { id: string; version: string }; flows: { key: string; flowId: string; name: string; status: string }[] }

export function TemplateImport({ onImported }: { onImported: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    try {
      let template: unknown;
      try {
        template = JSON.parse(await file.text());
      } catch {
        notify(t('flows.notJson'), 'error');
        return;
      }
      const answer = await api.post<ImportAnswer>('/templates/import', { template });
      notify(t('flows.imported', { n: answer.flows.length, name: answer.template.id }), 'success');
      onImported();
    } catch (err) {
      const details = err instanceof ApiError && err.details.length ? ` — ${err.details.map((d) => `${d.path}: ${d.message}`).join('; ')}` : '';
      notify(t('flows.importFailed', { message: (err as Error).message + details }), 'error');
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  };
  return (
    <label className={`button${busy ? ' is-busy' : ''}`}>
      <Icon name="upload" size={16} /> {t('flows.import')}
      <input ref={input} type="file" accept="application/json,.json" className="visually-hidden" aria-label={t('flows.importFile')} disabled={busy} onChange={(e) => void onFile(e.target.files?.[0])} data-testid="import-file" />
    </label>
  );
}
