// Pages by route; signed-out visitors go to /login (and come back where they were going).
import { Suspense, lazy, useEffect } from 'react';
import { useSession } from './session/session';
import { I18nProvider, useI18n } from './i18n/i18n';
import { navigate, parseRoute, useLocationKey, Link } from './router';
import { NoticeProvider } from './ui/notices';
import { TopBar } from './ui/top-bar';
import { LoginPage } from './pages/login-page';
import { InvitePage } from './pages/invite-page';
import { FlowsPage } from './pages/flows-page';
import { ExecutionsPage } from './pages/executions-page';
import { EscalationsPage } from './pages/escalations-page';
import { ContactsPage, ContactPage } from './pages/contacts-page';
import { TemplatesPage } from './pages/templates-page';
import { ApprovalsPage } from './pages/approvals-page';
import { CredentialsPage } from './pages/credentials-page';
import { UsersPage } from './pages/users-page';
import { LlmRoutingPage } from './pages/llm-routing-page';

// The canvas pages (React Flow, forms, layout) load on first use: sign-in and lists stay light.
const FlowEditorPage = lazy(() => import('./pages/flow-editor-page').then((m) => ({ default: m.FlowEditorPage })));
// The analytics page brings recharts: loaded only when a user opens analytics.
const AnalyticsPage = lazy(() => import('./pages/analytics-page').then((m) => ({ default: m.AnalyticsPage })));
const ExecutionPage = lazy(() => import('./pages/execution-page').then((m) => ({ default: m.ExecutionPage })));

export function App() {
  const session = useSession();
  return (
    <I18nProvider locale={session.locale}>
      <NoticeProvider>
        <Pages />
      </NoticeProvider>
    </I18nProvider>
  );
}

function Pages() {
  const session = useSession();
  const { t } = useI18n();
  useLocationKey();
  const route = parseRoute(location.pathname, location.search);
  const signedOut = session.status === 'signedOut';
  useEffect(() => {
    if (route.page === 'invite') return; // open to everyone: the link carries the invitation
    if (signedOut && route.page !== 'login') navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    if (session.status === 'signedIn' && route.page === 'login') navigate('/flows', { replace: true });
  }, [signedOut, session.status, route.page]);
  if (session.status === 'loading')
    return (
      <p className="page" aria-busy="true">
        {t('app.loading')}
      </p>
    );
  if (route.page === 'invite') return <InvitePage />;
  if (signedOut || route.page === 'login') return signedOut ? <LoginPage /> : null;
  const current =
    route.page === 'flows' || route.page === 'flow' || route.page === 'analytics'
      ? 'flows'
      : route.page === 'executions' || route.page === 'execution'
        ? 'executions'
        : route.page === 'escalations'
          ? 'escalations'
          : route.page === 'contacts' || route.page === 'contact'
            ? 'contacts'
            : route.page === 'templates' || route.page === 'approvals' || route.page === 'credentials' || route.page === 'users' || route.page === 'llmRouting'
              ? route.page
              : null;
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        {t('app.skipToContent')}
      </a>
      <TopBar current={current} />
      {route.page === 'flows' && <FlowsPage />}
      <Suspense
        fallback={
          <p className="page" aria-busy="true">
            {t('app.loading')}
          </p>
        }
      >
        {route.page === 'flow' && <FlowEditorPage key={route.id} id={route.id} />}
        {route.page === 'analytics' && <AnalyticsPage key={route.id} id={route.id} filter={{ from: route.from, to: route.to, version: route.version, variant: route.variant }} />}
        {route.page === 'execution' && <ExecutionPage key={route.id} id={route.id} />}
      </Suspense>
      {route.page === 'executions' && <ExecutionsPage flowId={route.flowId} status={route.status} />}
      {route.page === 'escalations' && <EscalationsPage />}
      {route.page === 'contacts' && <ContactsPage q={route.q} />}
      {route.page === 'contact' && <ContactPage key={route.id} id={route.id} />}
      {route.page === 'templates' && <TemplatesPage />}
      {route.page === 'approvals' && <ApprovalsPage />}
      {route.page === 'credentials' && <CredentialsPage />}
      {route.page === 'users' && <UsersPage />}
      {route.page === 'llmRouting' && <LlmRoutingPage />}
      {route.page === 'notFound' && (
        <main id="main" className="page">
          <p>{t('app.notFound')}</p>
          <Link to="/flows">{t('app.backToFlows')}</Link>
        </main>
      )}
    </div>
  );
}
