// The template gallery: the built-in templates (GET /templates) as cards in the reader's
// language — what starts them, tags, steps, the credentials and settings they need — a search,
// a preview of each flow's steps, and "Use template" (the import dialog) for members who may
// import.
import { useEffect, useMemo, useState } from 'react';
import { api } from '../api/client';
import { loadNodeTypes } from '../api/node-types';
import type { TemplateDetail, TemplateSummary } from '../api/templates';
import type { NodeTypeInfo } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { useSession } from '../session/session';
import { Icon } from '../ui/icons';
import { TemplateDialog } from './template-dialog';
import './templates-page.css';
import { ErrorNotice } from '../ui/error-notice';

/** Tags a template gets from the node types it uses (first match per tag). */
const TAGS: { tag: string; match: (type: string) => boolean }[] = [
  { tag: 'whatsapp', match: (t) => t === 'send.whatsapp' },
  { tag: 'email', match: (t) => t === 'send.email' },
  { tag: 'sms', match: (t) => t === 'send.sms' },
  { tag: 'ai', match: (t) => t.startsWith('ai.') },
  { tag: 'review', match: (t) => t === 'escalate' },
  { tag: 'crm', match: (t) => t === 'crm.update' },
  { tag: 'consent', match: (t) => t === 'consent.check' },
  { tag: 'api', match: (t) => t === 'http.request' },
  { tag: 'code', match: (t) => t === 'code' },
];

const tagsOf = (nodeTypes: readonly string[]): string[] => TAGS.filter((x) => nodeTypes.some(x.match)).map((x) => x.tag);

/** Lower-cased, Arabic diacritics (tashkeel, tatweel) dropped, alef forms folded: what search compares. */
function fold(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\u064B-\u0652\u0640]/g, '')
    .replace(/[\u0622\u0623\u0625]/g, '\u0627');
}

export function TemplatesPage() {
  const { t, text, locale } = useI18n();
  const session = useSession();
  const [items, setItems] = useState<TemplateSummary[] | null>(null);
  const [details, setDetails] = useState<Record<string, TemplateDetail>>({});
  const [nodeTypes, setNodeTypes] = useState<Map<string, NodeTypeInfo>>(new Map());
  const [q, setQ] = useState('');
  const [previewId, setPreviewId] = useState<string | null>(null);
  const [using, setUsing] = useState<TemplateSummary | null>(null);
  const [error, setError] = useState('');
  const canImport = session.can('templates.import');
  const tenantId = session.me?.tenant.id ?? '';

  useEffect(() => {
    let live = true;
    api
      .get<{ items: TemplateSummary[] }>('/templates')
      .then(async (list) => {
        if (!live) return;
        setItems(list.items);
        setError('');
        // The files too (step counts and previews): a handful of small documents.
        await Promise.all(
          list.items.map((s) =>
            api
              .get<TemplateDetail>(`/templates/${encodeURIComponent(s.id)}`)
              .then((d) => live && setDetails((prev) => ({ ...prev, [s.id]: d })))
              .catch(() => undefined),
          ),
        );
      })
      .catch((err: unknown) => live && setError((err as Error).message));
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    let live = true;
    loadNodeTypes(tenantId)
      .then((list) => live && setNodeTypes(new Map(list.map((n) => [n.type, n]))))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [tenantId]);

  const typeLabel = (type: string) => {
    const info = nodeTypes.get(type);
    return info ? text(info.label) : type;
  };
  const tagLabel = (tag: string) => t(`templates.tag.${tag}` as MessageKey);

  const shown = useMemo(() => {
    const words = fold(q.trim()).split(/\s+/).filter(Boolean);
    if (!items || !words.length) return items ?? [];
    return items.filter((s) => {
      const typeNames = s.nodeTypes.map((n) => {
        const info = nodeTypes.get(n);
        return info ? `${info.label.ar} ${info.label.en}` : n;
      });
      const tags = tagsOf(s.nodeTypes).map((tag) => t(`templates.tag.${tag}` as MessageKey));
      const haystack = fold([s.name.ar, s.name.en, s.description.ar, s.description.en, ...typeNames, ...tags].join(' '));
      return words.every((w) => haystack.includes(w));
    });
  }, [items, q, nodeTypes, t]);

  const preview = previewId ? (items?.find((s) => s.id === previewId) ?? null) : null;
  return (
    <main id="main" className="page templates-page">
      <div className="page-head">
        <div>
          <h1>{t('templates.title')}</h1>
          <p className="muted templates-intro">{t('templates.intro')}</p>
        </div>
      </div>
      <div className="filters" role="search">
        <label className="field grow">
          <span className="visually-hidden">{t('templates.search')}</span>
          <input type="search" placeholder={t('templates.search')} aria-label={t('templates.search')} value={q} onChange={(e) => setQ(e.target.value)} maxLength={200} data-testid="templates-search" />
        </label>
      </div>
      <ErrorNotice message={error} />
      {items === null && !error && (
        <p className="empty" aria-busy="true">
          {t('app.loading')}
        </p>
      )}
      <div className="split">
        <div className="split-main">
          {items && shown.length === 0 ? (
            <p className="empty" role="status">
              {items.length ? t('templates.noMatch') : t('templates.none')}
            </p>
          ) : (
            <ul className="template-grid" aria-label={t('templates.list')} data-testid="templates-gallery">
              {shown.map((s) => (
                <TemplateCard
                  key={s.id}
                  summary={s}
                  detail={details[s.id]}
                  trigger={s.nodeTypes.filter((n) => nodeTypes.get(n)?.trigger).map(typeLabel).join(locale === 'ar' ? '، ' : ', ')}
                  tags={tagsOf(s.nodeTypes).map(tagLabel)}
                  selected={s.id === previewId}
                  canImport={canImport}
                  onPreview={() => setPreviewId(s.id)}
                  onUse={() => setUsing(s)}
                />
              ))}
            </ul>
          )}
        </div>
        <aside className="split-side template-preview" aria-label={t('templates.previewPanel')} data-testid="template-preview">
          {preview ? <TemplatePreview summary={preview} detail={details[preview.id]} nodeTypes={nodeTypes} /> : <p className="empty">{t('templates.selectPreview')}</p>}
        </aside>
      </div>
      {using && <TemplateDialog source={{ kind: 'gallery', id: using.id, manifest: details[using.id]?.template.manifest ?? using }} nodeTypes={using.nodeTypes} onClose={() => setUsing(null)} />}
    </main>
  );
}

function TemplateCard(props: {
  summary: TemplateSummary;
  detail: TemplateDetail | undefined;
  trigger: string;
  tags: string[];
  selected: boolean;
  canImport: boolean;
  onPreview: () => void;
  onUse: () => void;
}) {
  const { summary: s, detail, trigger, tags, selected, canImport, onPreview, onUse } = props;
  const { t, text, number } = useI18n();
  const name = text(s.name);
  const titleId = `template-${s.id}-title`;
  const steps = detail ? detail.template.flows.reduce((n, f) => n + (Array.isArray(f.definition.nodes) ? f.definition.nodes.length : 0), 0) : null;
  return (
    <li className={`template-card${selected ? ' is-selected' : ''}`} data-template-id={s.id}>
      <article aria-labelledby={titleId} className="template-card-body">
        <h2 id={titleId} className="template-name">
          {name}
        </h2>
        <div className="template-meta small muted">
          {trigger && <span className="template-trigger">{t('templates.startsOn', { trigger })}</span>}
          {steps !== null && <span>{t('templates.nodeCount', { n: number(steps) })}</span>}
          {s.flows.length > 1 && <span>{t('templates.flowCount', { n: number(s.flows.length) })}</span>}
          <span>{t('templates.version', { v: s.version })}</span>
        </div>
        <p className="template-description">{text(s.description)}</p>
        {tags.length > 0 && (
          <ul className="template-tags" aria-label={t('templates.tags')}>
            {tags.map((tag) => (
              <li key={tag} className="badge">
                {tag}
              </li>
            ))}
          </ul>
        )}
        <Requirements summary={s} />
        <div className="template-actions">
          <button type="button" className="button" onClick={onPreview} aria-pressed={selected} aria-label={t('templates.previewOf', { name })} data-testid="template-preview-button">
            <Icon name="search" size={16} /> {t('templates.preview')}
          </button>
          {canImport && (
            <button type="button" className="button primary" onClick={onUse} aria-label={t('templates.useNamed', { name })} data-testid="template-use">
              {t('templates.use')}
            </button>
          )}
        </div>
      </article>
    </li>
  );
}

function Requirements({ summary: s }: { summary: TemplateSummary }) {
  const { t, text } = useI18n();
  if (!s.credentials.length && !s.variables.length) return <p className="small muted template-requirements">{t('templates.noRequirements')}</p>;
  return (
    <dl className="template-requirements small">
      {s.credentials.length > 0 && (
        <>
          <dt>{t('templates.needsCredentials')}</dt>
          <dd>
            <ul>
              {s.credentials.map((c) => (
                <li key={c.ref} data-credential-ref={c.ref}>
                  {text(c.label)}
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
      {s.variables.length > 0 && (
        <>
          <dt>{t('templates.needsVariables')}</dt>
          <dd>
            <ul>
              {s.variables.map((v) => (
                <li key={v.name} data-variable={v.name}>
                  {text(v.label)}
                  {v.required && <span className="muted"> {t('templates.requiredMark')}</span>}
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}

function TemplatePreview({ summary: s, detail, nodeTypes }: { summary: TemplateSummary; detail: TemplateDetail | undefined; nodeTypes: Map<string, NodeTypeInfo> }) {
  const { t, text } = useI18n();
  return (
    <div data-template-id={s.id}>
      <h2>{text(s.name)}</h2>
      <p className="template-preview-description">{text(s.description)}</p>
      {!detail ? (
        <p className="muted" aria-busy="true">
          {t('templates.previewLoading')}
        </p>
      ) : (
        detail.template.flows.map((f) => {
          const flowName = f.definition.name ?? f.key;
          return (
            <section key={f.key} className="template-flow" aria-label={t('templates.flowSteps', { name: flowName })}>
              <h3>{flowName}</h3>
              <ol className="template-steps">
                {(f.definition.nodes ?? []).map((n) => {
                  const info = nodeTypes.get(n.type);
                  const label = info ? text(info.label) : n.type;
                  return (
                    <li key={n.id} data-node-type={n.type}>
                      <span className={`node-icon cat-${info?.category ?? 'other'}`} aria-hidden="true">
                        <Icon name={info?.icon ?? ''} size={14} />
                      </span>
                      <span className="template-step-text">
                        <span className="template-step-label">{n.label || label}</span>
                        {n.label && n.label !== label && <span className="muted small">{label}</span>}
                      </span>
                    </li>
                  );
                })}
              </ol>
            </section>
          );
        })
      )}
    </div>
  );
}
