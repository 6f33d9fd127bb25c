// Step analytics in a real browser (issue 18), on a FRESH tenant signed up through the API (the
// demo tenant's WhatsApp goes to the sandbox for other suites). The figures are made by the
// engine, not written as rows: a published flow with an A/B WhatsApp step, contacts enrolled
// through the API (two without consent: blocked), sends to a local UltraMsg server, delivery
// receipts and replies posted to the provider callback. Then, in Arabic: the analytics page's
// figures equal the API's, formatted per locale, laid out right-to-left, Riyadh days, the CSV
// link gives the API's CSV; and the flow editor's canvas overlay shows the same numbers on the
// send node and its edges, without touching the saved flow.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { htmlDir, node, useLanguage } from './helpers/editor-page.js';
import { startFakeUltraMsg, ultramsgEvent, type FakeUltraMsg } from '../helpers/fake-ultramsg.js';
import { riyadhDay } from '../../db/analytics-repository.js';

const PASSWORD = 'analytics-page-2026!';
const SECRET = 'whsec_analytics_0123456789abcdef';
const CONTACTS = 8;
const NO_CONSENT = new Set([6, 7]); // blocked: no consent recorded
const ACK: Record<number, 'read' | 'device'> = { 0: 'read', 1: 'read', 2: 'device', 3: 'device', 4: 'device' };
const REPLIES: Record<number, string> = { 0: 'نعم، أنا مهتم', 2: 'What is the price?' };
// Written out on purpose: the test checks that the Arabic UI really shows Arabic.
const AR = { reached: 'وصلت إليها', replied: 'ردّ عليها', missing: 'لا توجد موافقة مسجلة', notYet: 'لا توجد بيانات كافية بعد', overlay: 'عرض التحليلات' };

interface Session { accessToken: string; tenant: { id: string; slug: string } }
type Counts = Record<'reached' | 'sent' | 'blocked' | 'failed' | 'delivered' | 'read' | 'replied', number>;
interface Report {
  from: string;
  to: string;
  enrolled: number;
  steps: Array<{ nodeId: string; counts: Counts; rates: Record<string, number | null>; blockedBy: Record<string, number>; variants: Array<{ variant: string; counts: Counts }>; comparison: { significant: boolean } | null }>;
  days: Array<{ day: string; counts: Counts }>;
}

const edge = (id: string, from: string, port: string, to: string) => ({ id, from: { node: from, port }, to: { node: to, port: 'in' } });
const FLOW = {
  schemaVersion: 1,
  name: 'متابعة العرض',
  nodes: [
    { id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } },
    {
      id: 'wa1',
      type: 'send.whatsapp',
      label: 'ترحيب',
      position: { x: 320, y: 0 },
      params: {
        purpose: 'marketing',
        // A template: free-text WhatsApp is allowed only within 24 h of the contact's last message.
        template: { name: 'welcome', language: 'ar' },
        text: 'مرحباً، لدينا عرض لك',
        variants: [{ id: 'A', text: 'مرحباً، عرض خاص لك' }, { id: 'B', text: 'Hello — عرض خاص' }] },
    },
    { id: 'w1', type: 'wait.event', position: { x: 640, y: 0 }, params: { event: 'message.received', timeoutSeconds: 3600 } },
    { id: 'stop', type: 'data.set', position: { x: 640, y: 200 }, params: { fields: { end: 'blocked' } } },
  ],
  edges: [edge('e1', 'start', 'out', 'wa1'), edge('e2', 'wa1', 'sent', 'w1'), edge('e3', 'wa1', 'blocked', 'stop')],
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Formats like the editor does (i18n.tsx), in the browser's own ICU: what the page must show. */
const formatIn = (page: Page, kind: 'number' | 'percent' | 'day', value: number | string) =>
  page.evaluate(
    ([k, v]) => {
      const intl = 'ar-SA-u-ca-gregory-nu-latn';
      if (k === 'number') return new Intl.NumberFormat(intl).format(Number(v));
      if (k === 'percent') return new Intl.NumberFormat(intl, { style: 'percent', maximumFractionDigits: 1 }).format(Number(v));
      return new Intl.DateTimeFormat(intl, { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(`${String(v)}T00:00:00Z`));
    },
    [kind, value] as const,
  );

describe('analytics in a browser: the flow analytics page and the canvas overlay (issue 18)', function () {
  this.timeout(180_000);
  let server: EditorServer;
  let browser: Browser;
  let ultra: FakeUltraMsg;
  let session: Session;
  let email: string;
  let flowId: string;
  let report: Report;
  const api = <T>(method: string, url: string, body?: unknown) => server.api<T>(session.accessToken, method, url, body);

  before(async function () {
    ({ server, browser } = await editorEnv(this));
    ultra = await startFakeUltraMsg();
    const s = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    email = `owner-${s}@analytics.tadfuq.test`;
    const res = await fetch(`${server.origin}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenantName: `تحليلات ${s}`, tenantSlug: `analytics-${s}`, name: 'ريم العتيبي', email, password: PASSWORD, locale: 'ar' }),
    });
    expect(res.status, await res.clone().text()).to.equal(201);
    session = (await res.json()) as Session;
    // The local UltraMsg server is on loopback; messages go out whatever the hour of the run.
    await api('PATCH', '/tenant', { settings: { allowPrivateNetwork: true } });
    await api('PUT', '/send-policy', { channels: { whatsapp: { respectBusinessHours: false, allowedHours: null } }, caps: { perContactPerDay: { whatsapp: null } } });
    await api('POST', '/credentials', { name: 'wa', type: 'ultramsg', data: { instanceId: ultra.instanceId, token: ultra.token, baseUrl: ultra.url, webhookSecret: SECRET } });

    const contacts: Array<{ id: string; phone: string }> = [];
    for (let i = 0; i < CONTACTS; i++) {
      const phone = `+9665${String(20_000_000 + i)}`;
      const c = await api<{ id: string }>('POST', '/contacts', { name: i % 2 ? 'Sara Alharbi' : 'سارة الحربي', phone });
      if (!NO_CONSENT.has(i)) await api('POST', `/contacts/${c.id}/consents/grant`, { channel: 'whatsapp', purpose: 'marketing', source: 'web_form', evidence: { formUrl: 'https://example.sa/lead-form' } });
      contacts.push({ id: c.id, phone });
    }
    flowId = (await api<{ id: string }>('POST', '/flows', { name: FLOW.name, definition: FLOW })).id;
    await api('POST', `/flows/${flowId}/publish`, {});
    await api('POST', '/enrollments', { flowId, contactIds: contacts.map((c) => c.id) });

    // The engine sends (six) and blocks (two); the "device" then delivers, reads and replies.
    const messages = await until('the first step decided for every contact', async () => {
      const page = await api<{ items: Array<{ contactId: string; status: string; providerMessageId: string | null }> }>('GET', '/outbox?limit=200');
      const done = page.items.filter((m) => m.status === 'sent' || m.status === 'blocked');
      return done.length === CONTACTS ? page.items : undefined;
    });
    const hook = (body: unknown) => fetch(`${server.origin}/hooks/providers/ultramsg/${session.tenant.slug}/${SECRET}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const [i, c] of contacts.entries()) {
      const m = messages.find((x) => x.contactId === c.id)!;
      if (ACK[i]) expect((await hook(ultramsgEvent('message_ack', ultra.instanceId, { id: m.providerMessageId!, data: { ack: ACK[i], fromMe: true } }))).status).to.equal(200);
      const text = REPLIES[i];
      if (text) {
        const wa = `${c.phone.slice(1)}@c.us`;
        // UltraMsg dates a message in whole seconds: round up, so the reply is dated after the send.
        const res = await hook(ultramsgEvent('message_received', ultra.instanceId, { data: { id: `false_${wa}_R${i}`, from: wa, to: '14155550100@c.us', body: text, time: Math.ceil(Date.now() / 1000) } }));
        expect(res.status).to.equal(200);
      }
    }
    report = await until('the replies counted', async () => {
      const r = await api<Report>('GET', `/flows/${flowId}/analytics`);
      return r.steps.find((x) => x.nodeId === 'wa1')?.counts.replied === 2 ? r : undefined;
    });
  });

  after(async () => {
    await ultra?.close();
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${server.origin}/flows`);
    await page.waitForURL(/\/login/);
    await page.locator('input[type=email]').fill(email);
    await page.locator('input[type=password]').fill(PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.waitForURL(/\/flows$/);
    await page.locator('[data-testid=flows-table], .empty').first().waitFor();
  }

  it('the engine made the figures the test expects (the API’s report)', () => {
    const wa1 = report.steps.find((s) => s.nodeId === 'wa1')!;
    expect(report.enrolled).to.equal(CONTACTS);
    expect(wa1.counts).to.include({ reached: 8, sent: 6, blocked: 2, delivered: 5, read: 2, replied: 2 });
    expect(wa1.blockedBy).to.deep.equal({ missing: 2 });
    expect(report.to, 'the default range ends today in Riyadh').to.equal(riyadhDay(Date.now()));
  });

  it('the analytics page in Arabic shows the API’s figures, right-to-left, per locale, and its CSV', async () => {
    const page = await browser.newPage();
    try {
      await signIn(page);
      expect(await htmlDir(page)).to.deep.equal({ dir: 'rtl', lang: 'ar' });
      // From the flows list.
      await page.locator(`tr[data-flow-id="${flowId}"] [data-testid=flow-analytics-link]`).click();
      await page.waitForURL(new RegExp(`/flows/${flowId}/analytics$`));
      const step = page.locator('[data-testid=analytics-step][data-node-id="wa1"]');
      await step.waitFor();
      const wa1 = report.steps.find((s) => s.nodeId === 'wa1')!;

      expect(await page.getByTestId('analytics-enrolled').getAttribute('data-value')).to.equal(String(report.enrolled));
      for (const key of ['reached', 'sent', 'delivered', 'read', 'replied'] as const) {
        const row = step.locator(`[data-testid=funnel-table] tr[data-metric="${key}"]`);
        const count = row.getByTestId('funnel-count');
        expect(await count.getAttribute('data-value'), key).to.equal(String(wa1.counts[key]));
        expect((await count.textContent())?.trim(), key).to.equal(await formatIn(page, 'number', wa1.counts[key]));
        if (key !== 'reached') expect(await row.getByTestId('funnel-rate').textContent(), `${key} rate`).to.include(await formatIn(page, 'percent', wa1.rates[key]!));
      }
      expect(await step.locator('[data-testid=funnel-table] tr[data-metric="reached"] th').textContent()).to.equal(AR.reached);
      // Blocked by reason, with the reason in Arabic.
      const blocked = step.locator('[data-testid=blocked-table] tr[data-reason="missing"]');
      expect(await blocked.locator('th').textContent()).to.equal(AR.missing);
      expect(await blocked.locator('td').first().getAttribute('data-value')).to.equal('2');
      // Variants: each one's sends and replies as the API counts them; the verdict (6 sends) is "not enough data".
      for (const v of wa1.variants) {
        const row = step.locator(`[data-testid=variants-table] tr[data-variant="${v.variant}"]`);
        expect(await row.locator('[data-metric=sent]').getAttribute('data-value'), v.variant).to.equal(String(v.counts.sent));
        expect(await row.locator('[data-metric=replied]').getAttribute('data-value'), v.variant).to.equal(String(v.counts.replied));
      }
      if (wa1.comparison) {
        expect(await step.getByTestId('verdict').getAttribute('data-significant')).to.equal('false');
        expect(await step.getByTestId('verdict').textContent()).to.include(AR.notYet);
      }
      // Days are Riyadh days, formatted in Arabic (Gregorian, Western digits).
      expect(await page.getByTestId('analytics-range').textContent()).to.include(await formatIn(page, 'day', report.to));
      const today = report.days.at(-1)!;
      const dayRow = page.locator(`[data-testid=days-table] tr[data-day="${today.day}"]`);
      expect(await dayRow.locator('[data-metric=sent]').getAttribute('data-value')).to.equal(String(today.counts.sent));
      expect(await dayRow.locator('[data-metric=replied]').getAttribute('data-value')).to.equal(String(today.counts.replied));

      // Right-to-left charts: the funnel starts on the right (reached) and ends on the left (replied).
      const funnel = step.getByTestId('funnel-chart');
      await funnel.locator('.recharts-bar-rectangle').first().waitFor();
      const tickX = async (label: string) => (await funnel.locator('.recharts-cartesian-axis-tick-value', { hasText: label }).first().boundingBox())!.x;
      expect(await tickX(AR.reached)).to.be.greaterThan(await tickX(AR.replied));
      expect(await page.getByTestId('analytics-page').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { direction: string } }).getComputedStyle(el).direction)).to.equal('rtl');
      await screenshot(page, 'ar-analytics-page');

      // The CSV link downloads exactly the API's CSV for the same filter.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('analytics-csv').click()]);
      const file = fs.readFileSync((await download.path())!, 'utf8');
      const apiCsv = await (await fetch(`${server.origin}/api/v1/flows/${flowId}/analytics.csv`, { headers: { authorization: `Bearer ${session.accessToken}` } })).text();
      expect(file.replace(/^\uFEFF/, '')).to.equal(apiCsv.replace(/^\uFEFF/, ''));
      expect(file).to.match(/,wa1,A,whatsapp,/);

      // A variant filter goes to the URL and to the API.
      const variant = wa1.variants[0]!;
      await page.getByTestId('filter-variant').selectOption(variant.variant);
      await page.waitForURL(new RegExp(`variant=${variant.variant}`));
      await until('the filtered figures', async () => ((await step.locator('tr[data-metric="sent"] [data-testid=funnel-count]').getAttribute('data-value')) === String(variant.counts.sent) ? true : undefined), 10_000);

      // One look in English: left-to-right, the funnel starts on the left.
      await useLanguage(page, 'en');
      expect(await htmlDir(page)).to.deep.equal({ dir: 'ltr', lang: 'en' });
      await page.getByRole('heading', { name: `Analytics: ${FLOW.name}` }).waitFor();
      const enTick = async (label: string) => (await funnel.locator('.recharts-cartesian-axis-tick-value', { hasText: label }).first().boundingBox())!.x;
      expect(await enTick('Reached')).to.be.lessThan(await enTick('Replied'));
      await useLanguage(page, 'ar');
    } finally {
      await page.close();
    }
  });

  it('the editor’s canvas overlay shows the same figures on the send node and its edges, and saves nothing', async () => {
    const page = await browser.newPage();
    try {
      await signIn(page);
      const before = await api<{ revision: number; draft: unknown }>('GET', `/flows/${flowId}`);
      await page.goto(`${server.origin}/flows/${flowId}`);
      await page.getByTestId('editor').waitFor();
      await node(page, 'wa1').waitFor();
      expect(await node(page, 'wa1').getByTestId('node-analytics').count(), 'off by default').to.equal(0);
      const toggle = page.getByTestId('analytics-overlay-toggle');
      expect((await toggle.textContent())?.trim()).to.equal(AR.overlay);
      await toggle.click();
      await page.locator('[data-testid=analytics-overlay-toggle][data-state=ready]').waitFor();
      const wa1 = report.steps.find((s) => s.nodeId === 'wa1')!;
      const figures = node(page, 'wa1').getByTestId('node-analytics');
      for (const key of ['reached', 'sent', 'delivered', 'read', 'replied'] as const) {
        const stage = figures.locator(`.stage[data-metric="${key}"]`);
        expect(await stage.getAttribute('data-value'), key).to.equal(String(wa1.counts[key]));
        expect((await stage.locator('b').textContent())?.trim(), key).to.equal(await formatIn(page, 'number', wa1.counts[key]));
      }
      expect(await node(page, 'w1').getByTestId('node-analytics').count(), 'only send steps carry figures').to.equal(0);
      // Edges: into the step its reached, out of it by port.
      const edgeText = (id: string) => page.locator(`.react-flow__edge[data-id="${id}"] .react-flow__edge-text`);
      expect(await edgeText('e1').textContent()).to.equal(await formatIn(page, 'number', wa1.counts.reached));
      expect(await edgeText('e2').textContent()).to.equal(await formatIn(page, 'number', wa1.counts.sent));
      expect(await edgeText('e3').textContent()).to.equal(await formatIn(page, 'number', wa1.counts.blocked));
      await screenshot(page, 'ar-analytics-overlay');
      await toggle.click();
      await edgeText('e2').waitFor({ state: 'detached' });
      expect(await node(page, 'wa1').getByTestId('node-analytics').count()).to.equal(0);
      await page.waitForTimeout(1200); // past the autosave debounce: nothing was saved
      const after = await api<{ revision: number; draft: unknown }>('GET', `/flows/${flowId}`);
      expect(after.revision).to.equal(before.revision);
      expect(after.draft).to.deep.equal(before.draft);
    } finally {
      await page.close();
    }
  });
});
