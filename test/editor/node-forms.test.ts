// The inspector's node forms in a real browser: param labels, descriptions and select options
// in the user's language (the params schemas' `title` and `x-ar`), escalate's assignee (a
// union of objects) as a variant picker that stores the plain object the node expects, and
// credential params as a select of the tenant's credentials (a text field without
// credentials.read).
import { expect } from 'chai';
import type { Locator, Page } from 'playwright-core';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { field, node, selectNode, settled, signIn, useLanguage } from './helpers/editor-page.js';

interface StoredNode { id: string; params?: Record<string, unknown> }
interface FlowAnswer { id: string; draft: { nodes: StoredNode[] } }

const TEXT = {
  ar: {
    purpose: 'الغرض',
    marketing: 'تسويق',
    message: 'الرسالة',
    templateName: 'اسم القالب',
    credentialDefault: 'الافتراضي (أول بيانات اعتماد من هذا النوع، وإلا فبيئة التجربة)',
    assignee: 'المكلَّف',
    variants: ['كل من يحمل دورًا', 'عضو محدد', 'أعضاء دور بالتناوب'],
    manager: 'المدير',
    reason: 'السبب',
    normal: 'عادية',
  },
  en: {
    purpose: 'Purpose',
    marketing: 'Marketing',
    message: 'Message',
    templateName: 'Template name',
    credentialDefault: 'Default (first such credential, else sandbox)',
    assignee: 'Assignee',
    variants: ['Everyone with a role', 'One member', 'Members of a role in turn'],
    manager: 'Manager',
    reason: 'Reason',
    normal: 'Normal',
  },
} as const;

/** The visible label of a param's field (the <label for=…> rjsf or our fields render). */
async function labelOf(inspector: Locator, name: string): Promise<string> {
  const id = await field(inspector, name).getAttribute('id');
  return ((await inspector.locator(`label[for="${id}"]`).first().textContent()) ?? '').replace(/\*$/, '').trim();
}

const optionTexts = async (select: Locator) => (await select.locator('option').allTextContents()).map((t) => t.trim());

describe('node forms: bilingual labels, variant picker, credential select', function () {
  this.timeout(120_000);
  let server: EditorServer;
  let browser: Browser;
  let admin: string;

  before(async function () {
    ({ server, browser } = await editorEnv(this));
    admin = await server.token('admin');
  });

  const createFlow = () =>
    server.api<FlowAnswer>(admin, 'POST', '/flows', {
      name: `Node forms ${Date.now() % 100000}`,
      definition: {
        nodes: [
          { id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } },
          { id: 'wa1', type: 'send.whatsapp', params: { purpose: 'marketing', text: 'مرحبًا' }, position: { x: 320, y: 0 } },
          { id: 'esc1', type: 'escalate', params: { reason: 'Hot lead', assignee: { kind: 'role', role: 'admin' } }, position: { x: 640, y: 0 } },
          { id: 'esc2', type: 'escalate', params: { reason: 'Check' }, position: { x: 640, y: 240 } },
        ],
        edges: [
          { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'wa1', port: 'in' } },
          { id: 'e2', from: { node: 'wa1', port: 'sent' }, to: { node: 'esc1', port: 'in' } },
          { id: 'e3', from: { node: 'wa1', port: 'blocked' }, to: { node: 'esc2', port: 'in' } },
        ],
      },
    });
  const paramsOf = async (flowId: string, nodeId: string) => (await server.api<FlowAnswer>(admin, 'GET', `/flows/${flowId}`)).draft.nodes.find((n) => n.id === nodeId)?.params;

  async function open(page: Page, flowId: string): Promise<void> {
    await page.goto(`${server.origin}/flows/${flowId}`);
    await node(page, 'wa1').waitFor();
  }

  /** send.whatsapp's and escalate's labels and options in `lang`. */
  async function checkLabels(page: Page, lang: 'ar' | 'en'): Promise<void> {
    const T = TEXT[lang];
    const wa = await selectNode(page, 'wa1');
    expect(await labelOf(wa, 'purpose')).to.equal(T.purpose);
    expect(await optionTexts(field(wa, 'purpose'))).to.include(T.marketing);
    expect(await field(wa, 'purpose').inputValue()).to.equal('marketing');
    expect(await labelOf(wa, 'text')).to.equal(T.message);
    expect(await labelOf(wa, 'template.name')).to.equal(T.templateName);
    const credential = field(wa, 'credential');
    expect(await credential.evaluate((el) => (el as unknown as { tagName: string }).tagName)).to.equal('SELECT');
    expect((await optionTexts(credential))[0]).to.equal(T.credentialDefault);
    const esc = await selectNode(page, 'esc1');
    expect(await labelOf(esc, 'reason')).to.equal(T.reason);
    const picker = field(esc, 'assignee');
    expect(await picker.getAttribute('aria-label')).to.equal(T.assignee);
    expect(await optionTexts(picker)).to.deep.equal(T.variants);
    expect(await optionTexts(field(esc, 'assignee.role'))).to.include(T.manager);
    // An unset select with a default shows the default's title (priority: normal), not its first option.
    expect(await field(esc, 'priority').inputValue()).to.equal('');
    expect((await optionTexts(field(esc, 'priority')))[0]).to.equal(T.normal);
  }

  it('shows Arabic labels, switches the assignee to round robin with a role, and stores the plain object', async () => {
    const flow = await createFlow();
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    await useLanguage(page, 'ar');
    await open(page, flow.id);
    await checkLabels(page, 'ar');

    // Round robin, with the keyboard: focus the variant picker and pick the third variant.
    const esc = await selectNode(page, 'esc1');
    await field(esc, 'assignee').selectOption({ label: TEXT.ar.variants[2] });
    expect(await field(esc, 'assignee').inputValue()).to.equal('2');
    await field(esc, 'assignee.role').selectOption('manager');
    await settled(page);
    await screenshot(page, 'node-form-ar');
    expect((await paramsOf(flow.id, 'esc1'))?.assignee).to.deep.equal({ kind: 'round_robin', role: 'manager' });

    // An escalate without an assignee: choosing the first variant's role stores the whole object.
    const esc2 = await selectNode(page, 'esc2');
    expect(await field(esc2, 'assignee.role').inputValue()).to.equal('');
    await field(esc2, 'assignee.role').selectOption('sales_rep');
    await settled(page);
    expect((await paramsOf(flow.id, 'esc2'))?.assignee).to.deep.equal({ kind: 'role', role: 'sales_rep' });
    await page.close();
  });

  it('shows the same labels in English', async () => {
    const flow = await createFlow();
    const page = await browser.newPage();
    await signIn(page, server.origin, 'admin');
    try {
      await useLanguage(page, 'en');
      await open(page, flow.id);
      await checkLabels(page, 'en');
      await screenshot(page, 'node-form-en');
    } finally {
      await useLanguage(page, 'ar');
      await page.close();
    }
  });

  it('gives a viewer (no credentials.read) a plain text field for the credential', async () => {
    const flow = await createFlow();
    const page = await browser.newPage();
    await signIn(page, server.origin, 'viewer');
    await open(page, flow.id);
    const wa = await selectNode(page, 'wa1');
    expect(await field(wa, 'credential').evaluate((el) => (el as unknown as { tagName: string }).tagName)).to.equal('INPUT');
    await page.close();
  });
});
