// The contacts pages and the escalation inbox in a real browser, in Arabic (rtl), as the demo
// manager: a seeded contact's consents and consent history; then an escalation opened by a
// flow the admin published through the API, approved with a note in the inbox — and the
// execution, read back through the API, continued on the "approved" port.
import { expect } from 'chai';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { htmlDir, signIn, useLanguage } from './helpers/editor-page.js';

// Written out on purpose: the test checks that the Arabic UI really shows Arabic.
const AR = {
  contacts: 'جهات الاتصال',
  escalations: 'التصعيدات',
  inboxTitle: 'صندوق التصعيدات',
  sara: 'سارة العتيبي',
  whatsapp: 'واتساب',
  valid: 'سارية',
  grantEvent: 'منح',
  openEscalation: (reason: string) => `افتح التصعيد: ${reason}`,
  approve: 'موافقة',
  approved: 'تمت الموافقة.',
};

interface Escalation {
  id: string;
  status: string;
  flowId: string | null;
  executionId: string | null;
  note: string | null;
}
interface Execution {
  status: string;
  steps: { node: string; status: string; port: string | null; output: unknown }[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('contacts and escalation inbox in a browser (issue 9)', function () {
  this.timeout(120_000);
  let server: EditorServer;
  let browser: Browser;

  before(async function () {
    ({ server, browser } = await editorEnv(this));
  });

  it('shows a manager, in Arabic, a contact’s consents and history, and approves an escalation the flow continues from', async () => {
    const page = await browser.newPage();
    await signIn(page, server.origin, 'manager');
    await useLanguage(page, 'ar');
    expect(await htmlDir(page)).to.deep.equal({ dir: 'rtl', lang: 'ar' });

    // Contacts → سارة العتيبي: a granted, valid WhatsApp consent and its grant in the history.
    await page.getByRole('link', { name: AR.contacts, exact: true }).click();
    await page.getByRole('heading', { name: AR.contacts, exact: true }).waitFor();
    await page.getByRole('link', { name: AR.sara, exact: true }).click();
    await page.getByRole('heading', { name: AR.sara, exact: true }).waitFor();
    const consent = page.locator('[data-testid=consents] tr[data-channel=whatsapp][data-purpose=marketing]');
    await consent.waitFor();
    expect(await consent.getAttribute('data-status')).to.equal('granted');
    expect(await consent.getAttribute('data-valid')).to.equal('true');
    const consentText = (await consent.textContent()) ?? '';
    expect(consentText).to.include(AR.whatsapp).and.to.include(AR.valid);
    const grant = page.locator('[data-testid=consent-history] tr[data-type=grant][data-channel=whatsapp]');
    await grant.waitFor();
    expect(await grant.textContent()).to.include(AR.grantEvent).and.to.include(AR.whatsapp);
    await screenshot(page, 'ar-9-contact');

    // The admin publishes trigger.manual → escalate (to managers) → data.set per port, and starts it.
    const admin = await server.token('admin');
    const reason = `Hot lead ${Date.now() % 100000}`;
    const mark = (id: string, result: string, x: number, y: number) => ({ id, type: 'data.set', params: { fields: { result } }, position: { x, y } });
    const flow = await server.api<{ id: string }>(admin, 'POST', '/flows', {
      name: `Escalation ${reason}`,
      definition: {
        nodes: [
          { id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } },
          { id: 'ask', type: 'escalate', params: { assignee: { kind: 'role', role: 'manager' }, reason, timeoutHours: 24, payload: { message: 'مرحبا سارة', channel: 'whatsapp' } }, position: { x: 320, y: 0 } },
          mark('yes', 'approved', 640, -160),
          mark('no', 'rejected', 640, 0),
          mark('late', 'timeout', 640, 160),
        ],
        edges: [
          { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'ask', port: 'in' } },
          { id: 'e2', from: { node: 'ask', port: 'approved' }, to: { node: 'yes', port: 'in' } },
          { id: 'e3', from: { node: 'ask', port: 'rejected' }, to: { node: 'no', port: 'in' } },
          { id: 'e4', from: { node: 'ask', port: 'timeout' }, to: { node: 'late', port: 'in' } },
        ],
      },
    });
    const published = await server.api<{ version?: unknown; request?: unknown }>(admin, 'POST', `/flows/${flow.id}/publish`);
    expect(published.version, JSON.stringify(published)).to.not.equal(undefined);
    // The test run answers when the run ends or after its wait (202): do not hold the test on it.
    const run = server.api<{ executionId: string }>(admin, 'POST', `/flows/${flow.id}/test-runs`, { input: { name: 'سارة' } });
    const escalation = await until('the escalation', async () => {
      const list = await server.api<{ items: Escalation[] }>(admin, 'GET', '/escalations?status=open');
      return list.items.find((e) => e.flowId === flow.id);
    });

    // The manager's inbox (Arabic, rtl) lists it; approve it with a note.
    await page.getByRole('link', { name: AR.escalations, exact: true }).click();
    await page.getByRole('heading', { name: AR.inboxTitle, exact: true }).waitFor();
    const row = page.locator(`tr[data-escalation-id="${escalation.id}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: AR.openEscalation(reason) }).click();
    const detail = page.locator(`[data-testid=escalation-detail][data-escalation-id="${escalation.id}"]`);
    await detail.waitFor();
    expect(await detail.locator('.json-view').textContent()).to.include('مرحبا سارة');
    expect(await detail.getByTestId('approve').textContent()).to.equal(AR.approve);
    await detail.getByTestId('decision-note').fill('تواصل معها اليوم');
    await screenshot(page, 'ar-10-escalations');
    await detail.getByTestId('approve').click();
    await page.getByTestId('notice').filter({ hasText: AR.approved }).waitFor();
    await row.waitFor({ state: 'detached' });

    // Through the API: decided by the manager with the note; the execution left by "approved".
    const decided = await server.api<Escalation>(admin, 'GET', `/escalations/${escalation.id}`);
    expect(decided).to.deep.include({ status: 'approved', note: 'تواصل معها اليوم' });
    const execution = await until('the execution to finish', async () => {
      const x = await server.api<Execution>(admin, 'GET', `/executions/${escalation.executionId}`);
      return x.status === 'succeeded' || x.status === 'failed' ? x : undefined;
    });
    expect(execution.status).to.equal('succeeded');
    const ask = execution.steps.filter((s) => s.node === 'ask').at(-1);
    expect(ask?.port).to.equal('approved');
    expect(execution.steps.map((s) => s.node)).to.include('yes').and.not.to.include('no').and.not.to.include('late');
    expect(JSON.stringify(execution.steps.find((s) => s.node === 'yes')?.output)).to.include('"result":"approved"');
    expect((await run).executionId).to.equal(escalation.executionId);
    await page.close();
  });
});
