// Test run of the draft: editable sample input (pinned to the flow), run, then each node's
// status, timing and output appear on the canvas (the page passes the steps to it).
import { useState } from 'react';
import { api, requestWithStatus } from '../api/client';
import type { Execution, TestRun } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { JsonView } from '../ui/json-view';
import { StatusChip } from '../ui/status-chip';

const DONE = new Set(['succeeded', 'failed', 'cancelled', 'waiting']);

export function RunPanel({ flowId, sampleInput, canRun, flush, run, onRun }: { flowId: string; sampleInput: unknown; canRun: boolean; flush: () => Promise<boolean>; run: TestRun | null; onRun: (r: TestRun | null) => void }) {
  const { t, duration } = useI18n();
  const [text, setText] = useState(() => JSON.stringify(sampleInput ?? {}, null, 2));
  const [pinned, setPinned] = useState(() => JSON.stringify(sampleInput ?? {}));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const start = async () => {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      setError(t('run.invalidJson'));
      return;
    }
    setError('');
    setBusy(true);
    try {
      if (!(await flush())) return;
      const id = encodeURIComponent(flowId);
      if (JSON.stringify(input) !== pinned) {
        await api.put(`/flows/${id}/sample-input`, { input });
        setPinned(JSON.stringify(input));
      }
      const started = performance.now();
      let { data } = await requestWithStatus<TestRun>('POST', `/flows/${id}/test-runs`, { input });
      // 202: still running (a delay, a slow call): follow the execution until it settles.
      while (!DONE.has(data.status) && performance.now() - started < 120_000) {
        await new Promise((r) => setTimeout(r, 500));
        const ex = await api.get<Execution>(`/executions/${encodeURIComponent(data.executionId)}`);
        data = { ...data, status: ex.status, output: ex.output, error: ex.error, steps: ex.steps };
      }
      onRun(data);
    } catch (err) {
      setError(t('run.failed', { message: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  const total = run?.steps.reduce((sum, s) => sum + (s.durationMs ?? 0), 0) ?? 0;
  return (
    <section className="run-panel" aria-labelledby="run-title" data-testid="run-panel">
      <h2 id="run-title">{t('run.title')}</h2>
      <label className="field">
        <span>{t('run.input')}</span>
        <textarea className="json-input" dir="ltr" rows={8} spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} aria-describedby="run-input-help" readOnly={!canRun} data-testid="sample-input" />
      </label>
      <p id="run-input-help" className="muted small">
        {t('run.inputHelp')}
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {canRun && (
        <button type="button" className="button primary" disabled={busy} onClick={() => void start()} data-testid="run-test">
          {busy ? t('run.running') : t('run.run')}
        </button>
      )}
      {!run && <p className="muted">{t('run.none')}</p>}
      {run && (
        <div className="run-result" data-testid="run-result" data-status={run.status}>
          <p>
            {t('run.result', { d: duration(total) })} <StatusChip status={run.status} />
          </p>
          {run.error && (
            <p className="form-error">
              {run.error.code}: {run.error.message}
            </p>
          )}
          <h3>{t('run.output')}</h3>
          <JsonView value={run.output} label={t('run.output')} />
          <p>
            <Link to={`/executions/${encodeURIComponent(run.executionId)}`}>{t('run.openExecution')}</Link>
            {' · '}
            <button type="button" className="link-button" onClick={() => onRun(null)}>
              {t('run.clear')}
            </button>
          </p>
        </div>
      )}
    </section>
  );
}
