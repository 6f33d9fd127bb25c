// Live preview of an expression against the last test run: the node's step input as `$`, the
// trigger's output as $trigger, every step's output under $nodes, and $now in Riyadh — the
// bindings the engine gives (engine/expressions). JSONata interprets, it never evals (CSP-safe).
import { createContext, useContext, useEffect, useState } from 'react';
import jsonata from 'jsonata';
import { useI18n } from '../i18n/i18n';
import { preview } from '../canvas/canvas-context';

export interface PreviewScope {
  input: unknown;
  trigger: unknown;
  nodes: Record<string, { output: unknown; port: string | null }>;
}

/** The scope of the node whose form is shown, or null when the draft has not run yet. */
export const PreviewContext = createContext<PreviewScope | null>(null);

function riyadhNow(): string {
  return new Date(Date.now() + 3 * 3600_000).toISOString().replace('Z', '+03:00');
}

export async function evaluatePreview(source: string, scope: PreviewScope): Promise<unknown> {
  const expr = jsonata(source.startsWith('=') ? source.slice(1) : source);
  const result: unknown = await expr.evaluate(scope.input, { trigger: scope.trigger, nodes: scope.nodes, vars: {}, contact: null, now: riyadhNow(), execution: null });
  return result === undefined ? null : JSON.parse(JSON.stringify(result)) as unknown;
}

export function ExpressionPreview({ source, quiet = false }: { source: string; quiet?: boolean }) {
  const scope = useContext(PreviewContext);
  const { t } = useI18n();
  const [shown, setShown] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    if (!scope || source.trim() === '=' || source.trim() === '') {
      setShown(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      evaluatePreview(source, scope)
        .then((v) => live && setShown({ ok: true, text: preview(v, 160) }))
        .catch((err: { message?: string }) => live && setShown({ ok: false, text: err.message ?? String(err) }));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [source, scope]);
  if (!scope) return quiet ? null : <p className="expr-preview muted">{t('form.previewNeedsRun')}</p>;
  if (!shown) return null;
  return (
    <p className={`expr-preview${shown.ok ? '' : ' is-error'}`} data-testid="expression-preview">
      <span className="muted">{t('form.preview')}</span> <code dir="ltr">{shown.text}</code>
    </p>
  );
}

/** $trigger and $nodes from a run's steps (the trigger is the first step). */
export function runScope(steps: { node: string; output: unknown; port: string | null }[]): Omit<PreviewScope, 'input'> {
  const nodes: PreviewScope['nodes'] = {};
  for (const s of steps) nodes[s.node] = { output: s.output, port: s.port };
  return { trigger: steps[0]?.output ?? null, nodes };
}
