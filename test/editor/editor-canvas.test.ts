// Canvas editing in a real browser: keyboard shortcuts (copy/paste, delete, undo/redo, select
// all), adding a node from the palette with the keyboard, auto-layout, sticky notes stored in
// meta.notes, a save conflict, and the executions page's replay and cancel.
import { expect } from 'chai';
import type { CounterServer } from '../helpers/counter-server.js';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { node, selectNode, settled, signIn } from './helpers/editor-page.js';

interface Draft { nodes: { id: string; position: { x: number; y: number } }[]; edges: { id: string }[]; meta?: { notes?: { text: string }[] } }
interface FlowAnswer { id: string; revision: number; draft: Draft }

describe('editor canvas editing and executions (issue 9)', function () {
  this.timeout(120_000);
  let server: EditorServer;
  let browser: Browser;
  let crm: CounterServer;
  let admin: string;

  before(async function () {
    ({ server, crm, browser } = await editorEnv(this));
    admin = await server.token('admin');
  });

  const createFlow = (name: string, nodes: unknown[], edges: unknown[]) => server.api<FlowAnswer>(admin, 'POST', '/flows', { name, definition: { nodes, edges } });
  const draftOf = async (id: string) => (await server.api<FlowAnswer>(admin, 'GET', `/flows/${id}`)).draft;

  it('copies, pastes, deletes, undoes and redoes with the keyboard; adds from the palette by keyboard; lays out; keeps sticky notes', async () => {
    const flow = await createFlow(
      'Shortcuts',
      [
        { id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } },
        { id: 'set1', type: 'data.set', params: { fields: { a: 1 } }, position: { x: 320, y: 0 } },
      ],
      [{ id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'set1', port: 'in' } }],
    );
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    await page.goto(`${server.origin}/flows/${flow.id}`);
    await node(page, 'set1').waitFor();

    await selectNode(page, 'set1');
    await node(page, 'set1').focus();
    await page.keyboard.press('Control+C');
    await page.keyboard.press('Control+V');
    await node(page, 'set2').waitFor();
    await page.keyboard.press('Delete');
    await node(page, 'set2').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+Z');
    await node(page, 'set2').waitFor();
    await page.keyboard.press('Control+Shift+Z');
    await node(page, 'set2').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+A');
    expect(await page.getByTestId('inspector').count()).to.equal(0); // two selected: no single-node form
    expect(await page.locator('.react-flow__node.selected').count()).to.equal(2);

    // Keyboard only: Escape clears the selection; select set1, then Enter on a palette item adds it after set1, connected.
    await page.keyboard.press('Escape');
    expect(await page.locator('.react-flow__node.selected').count()).to.equal(0);
    await selectNode(page, 'set1');
    await page.locator('.palette-item[data-node-type="logic.if"]').focus();
    await page.keyboard.press('Enter');
    await node(page, 'if1').waitFor();
    await page.locator('.react-flow__edge[data-id="set1.out-if1"]').waitFor({ state: 'attached' });

    // Auto-layout, then a sticky note with text.
    await page.getByRole('button', { name: 'ترتيب تلقائي' }).click();
    await page.getByRole('button', { name: 'إضافة ملاحظة لاصقة' }).click();
    const note = page.locator('.react-flow__node-note').first();
    await note.locator('.note-text').dblclick();
    await note.locator('textarea').fill('اتصل بالعميل خلال ساعة');
    await page.getByTestId('canvas').click({ position: { x: 5, y: 5 } });
    await settled(page);
    await screenshot(page, 'ar-9-shortcuts-note');

    const draft = await draftOf(flow.id);
    expect(draft.nodes.map((n) => n.id)).to.deep.equal(['start', 'set1', 'if1']);
    expect(draft.edges.map((e) => e.id)).to.include('set1.out-if1');
    expect(draft.meta?.notes?.map((n) => n.text)).to.deep.equal(['اتصل بالعميل خلال ساعة']);
    // Laid out left to right in the stored document, whatever the display direction.
    const x = Object.fromEntries(draft.nodes.map((n) => [n.id, n.position.x]));
    expect(x.start!).to.be.lessThan(x.set1!);
    expect(x.set1!).to.be.lessThan(x.if1!);
    await page.close();
  });

  it('reloads and tells the user when someone else saved the draft first (409); rolls back to an earlier version', async () => {
    const flow = await createFlow('Conflict', [{ id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } }], []);
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    await page.goto(`${server.origin}/flows/${flow.id}`);
    await node(page, 'start').waitFor();
    // Someone else saves a new revision.
    const other = {
      ...flow.draft,
      nodes: [...flow.draft.nodes, { id: 'theirs', type: 'data.set', params: { fields: {} }, position: { x: 320, y: 0 } }],
      edges: [{ id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'theirs', port: 'in' } }],
    };
    await server.api(admin, 'PUT', `/flows/${flow.id}/draft`, { revision: flow.revision, draft: other });
    // Our edit then conflicts: the editor reloads their version and says so.
    await page.getByLabel('اسم التدفق').fill('Conflict (mine)');
    await page.getByTestId('notice').filter({ hasText: 'عدّل شخص آخر هذا التدفق' }).first().waitFor();
    await node(page, 'theirs').waitFor();

    // Two published versions; the version history rolls back to the first (a third version).
    await server.api(admin, 'POST', `/flows/${flow.id}/publish`);
    const now = await server.api<FlowAnswer>(admin, 'GET', `/flows/${flow.id}`);
    await server.api(admin, 'PUT', `/flows/${flow.id}/draft`, { revision: now.revision, draft: { ...now.draft, name: 'Conflict v2' } });
    await server.api(admin, 'POST', `/flows/${flow.id}/publish`);
    await page.reload();
    await page.getByRole('tab', { name: 'الإصدارات' }).click();
    await page.getByRole('button', { name: 'التراجع إلى الإصدار 1' }).click();
    await page.getByText('أُعيد نشر الإصدار 1 بوصفه الإصدار 3.').waitFor();
    await page.locator('[data-testid=versions-panel] li[data-version="3"]').waitFor();
    await page.close();
  });

  it('replays a failed execution and cancels a waiting one from the execution page', async () => {
    crm.failures.set('/flaky', [500]);
    const flaky = await createFlow(
      'Flaky CRM',
      [
        { id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } },
        { id: 'call', type: 'http.request', params: { url: `${crm.url}/flaky` }, position: { x: 320, y: 0 } },
      ],
      [{ id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'call', port: 'in' } }],
    );
    const failed = await server.api<{ executionId: string; status: string }>(admin, 'POST', `/flows/${flaky.id}/test-runs`, { input: {} });
    expect(failed.status).to.equal('failed');
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    await page.goto(`${server.origin}/executions?status=failed`);
    await page.locator(`tr[data-execution-id="${failed.executionId}"]`).getByRole('link').click();
    await page.locator('[data-testid=execution-view][data-status=failed]').waitFor();
    await node(page, 'call').locator('.node-card[data-status=failed]').waitFor();
    await screenshot(page, 'ar-10-failed-execution');
    await page.getByTestId('replay').click();
    await page.waitForURL((u) => !u.pathname.endsWith(failed.executionId));
    await page.locator('[data-testid=execution-view][data-status=succeeded]').waitFor();

    const slow = await createFlow(
      'Slow',
      [
        { id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } },
        { id: 'wait', type: 'time.delay', params: { seconds: 3600 }, position: { x: 320, y: 0 } },
      ],
      [{ id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'wait', port: 'in' } }],
    );
    // The test-run call answers 202 only after a while; the execution is listed as waiting sooner.
    void server.api(admin, 'POST', `/flows/${slow.id}/test-runs`, { input: {} }).catch(() => undefined);
    let waiting: { id: string } | undefined;
    while (!waiting) {
      waiting = (await server.api<{ items: { id: string }[] }>(admin, 'GET', `/executions?flowId=${slow.id}&status=waiting`)).items[0];
      if (!waiting) await new Promise((r) => setTimeout(r, 100));
    }
    await page.goto(`${server.origin}/executions/${waiting.id}`);
    await page.locator('[data-testid=execution-view][data-status=waiting]').waitFor();
    await page.getByRole('button', { name: 'إلغاء التنفيذ' }).click();
    await page.locator('[data-testid=execution-view][data-status=cancelled]').waitFor();
    await page.close();
  });
});
