// The analytics of one flow (issue 18): per send step a funnel (bar chart + the same figures in
// a table), the variants' comparison with its verdict, blocked messages by reason, and the
// messages by day (line chart); filters (Riyadh days, version, variant) live in the URL so a
// view can be shared; the CSV is the same filter's rows. Charts are recharts (loaded with this
// page only); every figure a chart shows is also in a table for screen readers and tests.
import { useEffect, useMemo, useState, type FormEvent, type MouseEvent } from 'react';
import { Bar, BarChart, CartesianGrid, LabelList, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../api/client';
import { analyticsCsvPath, FUNNEL, funnelRate, loadAnalytics, variantIds, type AnalyticsFilter, type AnalyticsReport, type StepReport } from '../api/analytics';
import type { FlowDetail } from '../api/types';
import { useI18n, type I18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/messages.en';
import { Link, navigate } from '../router';
import { useNotify } from '../ui/notices';
import { Icon } from '../ui/icons';
import { fileSlug } from '../ui/download';
import './analytics-page.css';

const COLORS = { reached: '#7c8aa5', sent: '#3b6fd8', delivered: '#2f9e6b', read: '#8a5cd1', replied: '#e07b30' } as const;

export function AnalyticsPage({ id, filter }: { id: string; filter: AnalyticsFilter }) {
  const { t, dir } = useI18n();
  const notify = useNotify();
  const [flow, setFlow] = useState<FlowDetail | null>(null);
  const [report, setReport] = useState<AnalyticsReport | null>(null);
  const [error, setError] = useState('');
  const key = JSON.stringify(filter);
  useEffect(() => {
    const abort = new AbortController();
    setError('');
    Promise.all([api.get<FlowDetail>(`/flows/${encodeURIComponent(id)}`, { signal: abort.signal }), loadAnalytics(id, filter, abort.signal)])
      .then(([f, r]) => {
        setFlow(f);
        setReport(r);
      })
      .catch((err: Error) => !abort.signal.aborted && setError(err.message));
    return () => abort.abort();
  }, [id, key]);

  const downloadCsv = async (e: MouseEvent<HTMLAnchorElement>) => {
    e.preventDefault(); // the API wants the bearer token: fetch it, then save the text
    try {
      const text = await api.get<string>(analyticsCsvPath(id, filter));
      const blob = new Blob(['\uFEFF', typeof text === 'string' ? text : ''], { type: 'text/csv;charset=utf-8' });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${fileSlug(flow?.name ?? '', id)}-analytics-${report?.from ?? ''}-${report?.to ?? ''}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      notify(t('analytics.csvFailed', { message: (err as Error).message }), 'error');
    }
  };

  if (error)
    return (
      <main id="main" className="page">
        <p className="form-error" role="alert">
          {t('app.error', { message: error })}
        </p>
        <Link to="/flows">{t('app.backToFlows')}</Link>
      </main>
    );
  if (!report || !flow)
    return (
      <main id="main" className="page" aria-busy="true">
        <p>{t('app.loading')}</p>
      </main>
    );
  return (
    <main id="main" className="page analytics-page" data-testid="analytics-page" data-flow-id={id} dir={dir}>
      <div className="page-head">
        <h1>{t('analytics.title', { name: flow.name })}</h1>
        <div className="page-actions">
          <Link to={`/flows/${encodeURIComponent(id)}`} className="button ghost">
            {t('analytics.backToEditor')}
          </Link>
          <a href={`/api/v1${analyticsCsvPath(id, filter)}`} className="button" onClick={(e) => void downloadCsv(e)} data-testid="analytics-csv">
            <Icon name="download" size={16} /> {t('analytics.csv')}
          </a>
        </div>
      </div>
      <Filters id={id} report={report} filter={filter} />
      <Summary report={report} />
      <DaysChart report={report} />
      {report.steps.length === 0 ? <p className="muted">{t('analytics.noSteps')}</p> : report.steps.map((s) => <StepSection key={s.nodeId} step={s} />)}
    </main>
  );
}

function Filters({ id, report, filter }: { id: string; report: AnalyticsReport; filter: AnalyticsFilter }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(report.from);
  const [to, setTo] = useState(report.to);
  const variants = useMemo(() => variantIds(report), [report]);
  const versions = useMemo(() => [...new Set([...report.versions, ...(filter.version ? [filter.version] : [])])].sort((a, b) => a - b), [report, filter.version]);
  const go = (next: AnalyticsFilter) => {
    const q = new URLSearchParams();
    if (next.from) q.set('from', next.from);
    if (next.to) q.set('to', next.to);
    if (next.version !== undefined) q.set('version', String(next.version));
    if (next.variant) q.set('variant', next.variant);
    navigate(`/flows/${encodeURIComponent(id)}/analytics${q.size ? `?${q}` : ''}`, { replace: true });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go({ ...filter, from, to });
  };
  return (
    <form className="filters" aria-label={t('analytics.filters')} onSubmit={submit} data-testid="analytics-filters">
      <label className="field">
        <span>{t('analytics.from')}</span>
        <input type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} data-testid="filter-from" />
      </label>
      <label className="field">
        <span>{t('analytics.to')}</span>
        <input type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} data-testid="filter-to" />
      </label>
      <label className="field">
        <span>{t('analytics.version')}</span>
        <select value={filter.version ?? ''} onChange={(e) => go({ ...filter, from, to, version: e.target.value ? Number(e.target.value) : undefined })} data-testid="filter-version">
          <option value="">{t('analytics.allVersions')}</option>
          {versions.map((v) => (
            <option key={v} value={v}>
              {t('analytics.versionN', { n: v })}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{t('analytics.variant')}</span>
        <select value={filter.variant ?? ''} onChange={(e) => go({ ...filter, from, to, variant: e.target.value || undefined })} data-testid="filter-variant">
          <option value="">{t('analytics.allVariants')}</option>
          {variants.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="button primary">
        {t('analytics.apply')}
      </button>
    </form>
  );
}

function Summary({ report }: { report: AnalyticsReport }) {
  const { t, number, day, hijriDay } = useI18n();
  return (
    <p className="analytics-summary">
      <span title={`${hijriDay(report.from)} – ${hijriDay(report.to)}`} data-testid="analytics-range">
        {t('analytics.range', { from: day(report.from), to: day(report.to) })}
      </span>
      <span className="analytics-enrolled">
        {t('analytics.enrolled')}: <strong data-testid="analytics-enrolled" data-value={report.enrolled}>{number(report.enrolled)}</strong>
      </span>
    </p>
  );
}

/** Axis and tooltip settings that read right-to-left in Arabic: time runs from the right, values on the right. */
function axisProps(i18n: I18n) {
  const rtl = i18n.dir === 'rtl';
  return {
    x: { reversed: rtl, tick: { fontSize: 12 } },
    y: { orientation: rtl ? ('right' as const) : ('left' as const), tickFormatter: (v: number) => i18n.number(v), allowDecimals: false, width: 56 },
  };
}

function DaysChart({ report }: { report: AnalyticsReport }) {
  const i18n = useI18n();
  const { t, number, day } = i18n;
  const title = t('analytics.byDayAll');
  // Every day of the range, zeros included: a line between two far days would suggest activity between them.
  const data = useMemo(() => {
    const byDay = new Map(report.days.map((d) => [d.day, d.counts]));
    return rangeDays(report.from, report.to).map((d) => {
      const c = byDay.get(d);
      return { day: d, label: day(d), active: c !== undefined, sent: c?.sent ?? 0, delivered: c?.delivered ?? 0, replied: c?.replied ?? 0 };
    });
  }, [report, day]);
  const hasData = report.days.length > 0;
  const axes = axisProps(i18n);
  const keys = ['sent', 'delivered', 'replied'] as const;
  return (
    <section className="analytics-card" aria-labelledby="analytics-days">
      <h2 id="analytics-days">{title}</h2>
      {!hasData ? (
        <p className="muted">{t('analytics.noData')}</p>
      ) : (
        <>
          <div className="chart" role="img" aria-label={t('analytics.chartLabel', { name: title })} data-testid="days-chart">
            <ResponsiveContainer width="100%" height={260}>
              <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 16 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="label" {...axes.x} />
                <YAxis {...axes.y} />
                <Tooltip formatter={(v) => number(Number(v))} />
                <Legend />
                {keys.map((k) => (
                  <Line key={k} type="monotone" dataKey={k} name={t(`analytics.metric.${k}` as MessageKey)} stroke={COLORS[k]} strokeWidth={2} dot={data.length <= 31} isAnimationActive={false} />
                ))}
              </LineChart>
            </ResponsiveContainer>
          </div>
          <details>
            <summary>{t('analytics.byDay')}</summary>
            <table className="table" data-testid="days-table">
              <thead>
                <tr>
                  <th scope="col">{t('analytics.day')}</th>
                  {keys.map((k) => (
                    <th key={k} scope="col" className="num">
                      {t(`analytics.metric.${k}` as MessageKey)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.filter((d) => d.active).map((d) => (
                  <tr key={d.day} data-day={d.day}>
                    <th scope="row">{d.label}</th>
                    {keys.map((k) => (
                      <td key={k} className="num" data-metric={k} data-value={d[k]}>
                        {number(d[k])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}

/** The days from `from` to `to` (inclusive), as YYYY-MM-DD (the API allows at most 366). */
function rangeDays(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`); t <= end && out.length < 400; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

function StepSection({ step }: { step: StepReport }) {
  const i18n = useI18n();
  const { t, number, percent, duration } = i18n;
  const name = step.label || step.nodeId;
  const headingId = `step-${step.nodeId}`;
  const data = FUNNEL.map((k) => ({ key: k, label: t(`analytics.metric.${k}` as MessageKey), count: step.counts[k], rate: funnelRate(step, k) }));
  const axes = axisProps(i18n);
  return (
    <section className="analytics-card" aria-labelledby={headingId} data-testid="analytics-step" data-node-id={step.nodeId}>
      <h2 id={headingId}>
        {t('analytics.stepTitle', { name })} <span className="muted small" dir="ltr">{step.channels.join(' · ')}</span>
      </h2>
      <div className="analytics-step-grid">
        <div className="chart" role="img" aria-label={t('analytics.chartLabel', { name: `${t('analytics.funnel')} — ${name}` })} data-testid="funnel-chart">
          <ResponsiveContainer width="100%" height={240}>
            <BarChart data={data} margin={{ top: 24, right: 16, bottom: 8, left: 16 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" {...axes.x} interval={0} />
              <YAxis {...axes.y} />
              <Tooltip formatter={(v) => number(Number(v))} />
              <Bar dataKey="count" name={t('analytics.count')} fill={COLORS.sent} isAnimationActive={false}>
                <LabelList dataKey="count" position="top" formatter={(v: unknown) => number(Number(v))} />
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </div>
        <table className="table funnel-table" data-testid="funnel-table">
          <caption className="visually-hidden">{t('analytics.funnel')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('analytics.metric')}</th>
              <th scope="col" className="num">
                {t('analytics.count')}
              </th>
              <th scope="col" className="num">
                {t('analytics.rate')}
              </th>
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <tr key={d.key} data-metric={d.key}>
                <th scope="row">{d.label}</th>
                <td className="num" data-testid="funnel-count" data-value={d.count}>
                  {number(d.count)}
                </td>
                <td className="num" data-testid="funnel-rate" data-value={d.rate ?? ''}>
                  {d.rate === null ? '—' : percent(d.rate)}
                  {d.rate !== null && <span className="muted small"> {t('analytics.rateOf', { base: t(d.key === 'sent' ? 'analytics.metric.reached' : 'analytics.metric.sent') })}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {step.medianReplyMs !== null && <p className="muted">{t('analytics.medianReply', { value: duration(step.medianReplyMs) })}</p>}
      <BlockedTable step={step} />
      {step.variants.length > 0 && <VariantsTable step={step} />}
    </section>
  );
}

function reasonLabel(t: I18n['t'], reason: string): string {
  const key = `analytics.reason.${reason}` as MessageKey;
  const label = t(key);
  return label === key ? reason || '—' : label;
}

function BlockedTable({ step }: { step: StepReport }) {
  const { t, number, percent } = useI18n();
  const rows = Object.entries(step.blockedBy).sort(([, a], [, b]) => b - a);
  return (
    <div className="analytics-blocked">
      <h3>
        {t('analytics.blockedBy')} <span className="muted small">({number(step.counts.blocked)})</span>
      </h3>
      {rows.length === 0 ? (
        <p className="muted small">{t('analytics.noBlocked')}</p>
      ) : (
        <table className="table" data-testid="blocked-table">
          <thead>
            <tr>
              <th scope="col">{t('analytics.reason')}</th>
              <th scope="col" className="num">
                {t('analytics.count')}
              </th>
              <th scope="col" className="num">
                {t('analytics.rate')}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([reason, n]) => (
              <tr key={reason} data-reason={reason}>
                <th scope="row">{reasonLabel(t, reason)}</th>
                <td className="num" data-value={n}>
                  {number(n)}
                </td>
                <td className="num">{step.counts.blocked > 0 ? percent(n / step.counts.blocked) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function VariantsTable({ step }: { step: StepReport }) {
  const { t, number, percent } = useI18n();
  const c = step.comparison;
  const against = new Map((c?.against ?? []).map((a) => [a.variant, a]));
  return (
    <div className="analytics-variants">
      <h3>{t('analytics.variants')}</h3>
      <table className="table" data-testid="variants-table">
        <thead>
          <tr>
            <th scope="col">{t('analytics.variantCol')}</th>
            <th scope="col" className="num">
              {t('analytics.metric.sent')}
            </th>
            <th scope="col" className="num">
              {t('analytics.metric.replied')}
            </th>
            <th scope="col" className="num">
              {t('analytics.replyRate')}
            </th>
            <th scope="col" className="num">
              {t('analytics.confidenceCol')}
            </th>
          </tr>
        </thead>
        <tbody>
          {step.variants.map((v) => {
            const vs = against.get(v.variant);
            return (
              <tr key={v.variant} data-variant={v.variant}>
                <th scope="row" dir="ltr">
                  {v.variant} {c?.leader === v.variant && <span className="chip">{t('analytics.leader')}</span>}
                </th>
                <td className="num" data-metric="sent" data-value={v.counts.sent}>
                  {number(v.counts.sent)}
                </td>
                <td className="num" data-metric="replied" data-value={v.counts.replied}>
                  {number(v.counts.replied)}
                </td>
                <td className="num">{v.rates.replied === null ? '—' : percent(v.rates.replied)}</td>
                <td className="num">{vs ? percent(vs.confidence) : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {c && (
        <p className={`verdict${c.significant ? ' good' : ''}`} data-testid="verdict" data-significant={c.significant} role="status">
          {c.significant && c.winner ? t('analytics.verdictReal', { confidence: percent(c.requiredConfidence), winner: c.winner }) : t('analytics.verdictNotYet', { n: number(c.minSample), confidence: percent(c.requiredConfidence) })}
        </p>
      )}
      <p className="muted small">{t('analytics.verdictHelp')}</p>
    </div>
  );
}
