// Import a template file: pick the file; when its manifest declares credentials or variables,
// the import dialog asks for them (template-dialog.tsx), else it is sent straight away. The
// server answers every problem at once.
import { useRef, useState } from 'react';
import { api, ApiError } from '../api/client';
import { needsChoices, type ImportAnswer, type TemplateFile } from '../api/templates';
import { useI18n } from '../i18n/i18n';
import { useNotify } from '../ui/notices';
import { Icon } from '../ui/icons';
import { TemplateDialog } from './template-dialog';

/** Node types the template's flows use (for the dialog's publish permission). */
function nodeTypesOf(template: TemplateFile): string[] {
  const types = new Set<string>();
  for (const f of Array.isArray(template.flows) ? template.flows : []) {
    for (const n of Array.isArray(f?.definition?.nodes) ? f.definition.nodes : []) if (typeof n?.type === 'string') types.add(n.type);
  }
  return [...types];
}

export function TemplateImport({ onImported }: { onImported: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [choosing, setChoosing] = useState<{ template: TemplateFile; nodeTypes: string[] } | null>(null);
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
      if (needsChoices(template)) {
        setChoosing({ template, nodeTypes: nodeTypesOf(template) });
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
    <>
      <label className={`button${busy ? ' is-busy' : ''}`}>
        <Icon name="upload" size={16} /> {t('flows.import')}
        <input ref={input} type="file" accept="application/json,.json" className="visually-hidden" aria-label={t('flows.importFile')} disabled={busy} onChange={(e) => void onFile(e.target.files?.[0])} data-testid="import-file" />
      </label>
      {choosing && <TemplateDialog source={{ kind: 'file', template: choosing.template }} nodeTypes={choosing.nodeTypes} onClose={() => setChoosing(null)} />}
    </>
  );
}
