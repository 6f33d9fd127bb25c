// AI routing by task (GET/PUT /api/v1/llm-routing): per task class, the ordered providers and
// models; and which class each task label belongs to. Everyone who may read the tenant sees the
// table in force; owners and admins (ai.routing.manage) edit it. A class left as its default is
// not sent (it follows future default changes); the server validates and answers problems by
// path (/body/routes/<class>/<index>/…), shown beside the row.
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { problemsByPath } from '../api/admin';
import type { Problem } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { useSession } from '../session/session';
import { useNotify } from '../ui/notices';
import { ErrorNotice } from '../ui/error-notice';
import { FieldError, NoAccess, OtherProblems } from './credentials-page';
import './admin-pages.css';

interface Route { provider: string; model: string }
type Table = Record<string, Route[]>;
interface RoutingSettings { routes?: Table; taskClasses?: Record<string, string> }
interface RoutingView {
  settings: RoutingSettings;
  defaults: { routes: Table; taskClasses: Record<string, string> };
  effective: { routes: Table };
  taskClasses: string[];
  providers: string[];
}

const same = (a: Route[] | undefined, b: Route[] | undefined) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

export function LlmRoutingPage() {
  const { t } = useI18n();
  const session = useSession();
  const notify = useNotify();
  const canRead = session.can('tenant.read');
  const canWrite = session.can('ai.routing.manage');
  const [view, setView] = useState<RoutingView | null>(null);
  const [routes, setRoutes] = useState<Table>({});
  const [tasks, setTasks] = useState<[string, string][]>([]);
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const show = useCallback((v: RoutingView) => {
    setView(v);
    setRoutes(structuredClone(v.effective.routes));
    setTasks(Object.entries(v.settings.taskClasses ?? {}));
  }, []);
  useEffect(() => {
    if (!canRead) return;
    api
      .get<RoutingView>('/llm-routing')
      .then(show)
      .catch((err: Error) => setError(err.message));
  }, [canRead, show]);

  if (!canRead)
    return (
      <main id="main" className="page admin-page">
        <h1>{t('llmRouting.title')}</h1>
        <NoAccess />
      </main>
    );

  const change = (cls: string, fn: (list: Route[]) => Route[]) => setRoutes((r) => ({ ...r, [cls]: fn([...(r[cls] ?? [])]) }));
  const move = (cls: string, i: number, by: number) =>
    change(cls, (list) => {
      const [item] = list.splice(i, 1);
      list.splice(i + by, 0, item!);
      return list;
    });

  const save = async () => {
    if (!view) return;
    setBusy(true);
    setProblems({});
    // Only the classes that differ from the default are the tenant's.
    const changed = Object.fromEntries(Object.entries(routes).filter(([cls, list]) => !same(list, view.defaults.routes[cls])));
    const taskClasses = Object.fromEntries(tasks.filter(([task]) => task.trim() !== '').map(([task, cls]) => [task.trim(), cls]));
    const body: RoutingSettings = {
      ...(Object.keys(changed).length ? { routes: changed } : {}),
      ...(Object.keys(taskClasses).length ? { taskClasses } : {}),
    };
    try {
      show(await api.put<RoutingView>('/llm-routing', body));
      notify(t('llmRouting.saved'), 'success');
    } catch (err) {
      setProblems(problemsByPath(err));
    } finally {
      setBusy(false);
    }
  };

  const shown: string[] = [];
  /** The problem at `path` (and, with `below`, under it), marked as shown beside its field. */
  const problemAt = (path: string, below = false): Problem | undefined => {
    const found = problems[path] ?? (below ? Object.values(problems).find((p) => p.path.startsWith(`${path}/`)) : undefined);
    if (found) shown.push(found.path);
    return found;
  };
  const classLabel = (cls: string) => t(`llmRouting.class.${cls}` as MessageKey);
  const providerLabel = (p: string) => t(`llmRouting.provider.${p}` as MessageKey);

  return (
    <main id="main" className="page admin-page llm-routing-page">
      <div className="page-head">
        <h1>{t('llmRouting.title')}</h1>
      </div>
      <p className="hint">{t('llmRouting.intro')}</p>
      {!canWrite && <p className="hint">{t('llmRouting.readOnly')}</p>}
      <ErrorNotice message={error} />
      {view?.taskClasses.map((cls) => {
        const list = routes[cls] ?? [];
        const isDefault = same(list, view.defaults.routes[cls]);
        return (
          <section key={cls} className="routing-class" data-testid={`routing-${cls}`} aria-labelledby={`routing-${cls}-title`}>
            <h2 id={`routing-${cls}-title`}>
              {classLabel(cls)} <span className="badge small">{isDefault ? t('llmRouting.default') : t('llmRouting.custom')}</span>
            </h2>
            <FieldError problem={problemAt(`/body/routes/${cls}`)} id={`routing-${cls}-error`} />
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('llmRouting.order')}</th>
                  <th scope="col">{t('llmRouting.provider')}</th>
                  <th scope="col">{t('llmRouting.model')}</th>
                  {canWrite && (
                    <th scope="col">
                      <span className="visually-hidden">{t('admin.colActions')}</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {list.map((r, i) => (
                  <tr key={i} data-testid="routing-row">
                    <td>{(i + 1).toLocaleString()}</td>
                    <td>
                      <select
                        value={r.provider}
                        disabled={!canWrite}
                        aria-label={`${classLabel(cls)} ${i + 1}: ${t('llmRouting.provider')}`}
                        onChange={(e) => change(cls, (l) => l.map((x, j) => (j === i ? { ...x, provider: e.target.value } : x)))}
                        data-testid="routing-provider"
                      >
                        {view.providers.map((p) => (
                          <option key={p} value={p}>
                            {providerLabel(p)}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <input
                        dir="ltr"
                        value={r.model}
                        readOnly={!canWrite}
                        aria-label={`${classLabel(cls)} ${i + 1}: ${t('llmRouting.model')}`}
                        onChange={(e) => change(cls, (l) => l.map((x, j) => (j === i ? { ...x, model: e.target.value } : x)))}
                        data-testid="routing-model"
                      />
                      <FieldError problem={problemAt(`/body/routes/${cls}/${i}`, true)} id={`routing-${cls}-${i}-error`} />
                    </td>
                    {canWrite && (
                      <td className="row-actions">
                        <button type="button" className="button small" disabled={i === 0} onClick={() => move(cls, i, -1)} aria-label={t('llmRouting.up')}>
                          ↑
                        </button>{' '}
                        <button type="button" className="button small" disabled={i === list.length - 1} onClick={() => move(cls, i, 1)} aria-label={t('llmRouting.down')}>
                          ↓
                        </button>{' '}
                        <button type="button" className="button small danger" onClick={() => change(cls, (l) => l.filter((_, j) => j !== i))} data-testid="routing-remove">
                          {t('llmRouting.remove')}
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
            {canWrite && (
              <p>
                <button type="button" className="button small" onClick={() => change(cls, (l) => [...l, { provider: 'openai', model: 'gpt-4o-mini' }])} data-testid="routing-add">
                  {t('llmRouting.add')}
                </button>{' '}
                {!isDefault && (
                  <button type="button" className="button small ghost" onClick={() => setRoutes((r) => ({ ...r, [cls]: structuredClone(view.defaults.routes[cls] ?? []) }))}>
                    {t('llmRouting.reset')}
                  </button>
                )}
              </p>
            )}
          </section>
        );
      })}
      {view && (
        <section className="routing-tasks" aria-labelledby="routing-tasks-title">
          <h2 id="routing-tasks-title">{t('llmRouting.tasks')}</h2>
          <p className="hint">{t('llmRouting.tasksIntro')}</p>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('llmRouting.task')}</th>
                <th scope="col">{t('llmRouting.taskClass')}</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(view.defaults.taskClasses)
                .filter(([task]) => !tasks.some(([own]) => own === task))
                .map(([task, cls]) => (
                  <tr key={`default-${task}`} className="muted">
                    <td>
                      <code dir="ltr">{task}</code>
                    </td>
                    <td>
                      {classLabel(cls)} <span className="badge small">{t('llmRouting.default')}</span>
                    </td>
                  </tr>
                ))}
              {tasks.map(([task, cls], i) => (
                <tr key={`own-${i}`} data-testid="routing-task-row">
                  <td>
                    <input dir="ltr" value={task} readOnly={!canWrite} aria-label={t('llmRouting.task')} onChange={(e) => setTasks((l) => l.map((x, j) => (j === i ? [e.target.value, x[1]] : x)))} />
                    <FieldError problem={problemAt(`/body/taskClasses/${task.trim()}`)} id={`routing-task-${i}-error`} />
                  </td>
                  <td>
                    <select value={cls} disabled={!canWrite} aria-label={t('llmRouting.taskClass')} onChange={(e) => setTasks((l) => l.map((x, j) => (j === i ? [x[0], e.target.value] : x)))}>
                      {view.taskClasses.map((c) => (
                        <option key={c} value={c}>
                          {classLabel(c)}
                        </option>
                      ))}
                    </select>{' '}
                    {canWrite && (
                      <button type="button" className="button small danger" onClick={() => setTasks((l) => l.filter((_, j) => j !== i))}>
                        {t('llmRouting.remove')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {canWrite && (
            <button type="button" className="button small" onClick={() => setTasks((l) => [...l, ['', 'fallback']])} data-testid="routing-add-task">
              {t('llmRouting.addTask')}
            </button>
          )}
        </section>
      )}
      <OtherProblems problems={problems} shown={shown} />
      {canWrite && view && (
        <div className="page-actions">
          <button type="button" className="button primary" disabled={busy} onClick={() => void save()} data-testid="routing-save">
            {t('llmRouting.save')}
          </button>
        </div>
      )}
    </main>
  );
}
