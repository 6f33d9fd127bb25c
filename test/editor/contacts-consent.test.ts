// Contacts in a real browser, in Arabic (rtl), as the demo manager: a new contact through the
// form (an invalid phone refused on the phone field, then a local number in Arabic-Indic digits
// accepted as E.164), a correction refused for a duplicate phone; consent granted with evidence
// (empty evidence and a future date refused on their fields), valid for 12 months, renewed,
// withdrawn with a reason (renewal then refused), each change in the consent history with who did it;
// the contact enrolled in a published flow, paused, resumed and stopped. English labels once;
// a viewer sees no edit controls. Only contacts this suite creates are touched.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { htmlDir, signIn, useLanguage } from './helpers/editor-page.js';

// Written out on purpose: the test checks that the Arabic UI really shows Arabic.
const AR = {
  contacts: 'جهات الاتصال',
  newContact: 'جهة اتصال جديدة',
  name: 'الاسم',
  phone: 'رقم الجوال',
  invalidPhone: 'رقم الجوال غير صحيح',
  duplicatePhone: 'يوجد رقم الجوال هذا لدى جهة اتصال أخرى.',
  create: 'إنشاء جهة الاتصال',
  edit: 'تعديل جهة الاتصال',
  grant: 'منح موافقة',
  emptyEvidence: 'أضف ما يثبت الموافقة',
  inFuture: 'لا يمكن أن يكون تاريخ الموافقة في المستقبل.',
  valid: 'سارية',
  grantEvent: 'منح',
  withdrawEvent: 'سحب',
  whatsapp: 'واتساب',
  withdrawWhatsappMarketing: 'سحب موافقة واتساب · تسويق',
  withdraw: 'سحب',
  renewWhatsappMarketing: 'تجديد موافقة واتساب · تسويق',
  renew: 'تجديد',
  you: '(أنت)',
  sequences: 'التسلسلات',
  active: 'نشط',
  paused: 'موقوف مؤقتًا',
  stopped: 'منتهٍ',
  pauseIn: (flow: string) => `إيقاف التسجيل في ${flow} مؤقتًا`,
  resumeIn: (flow: string) => `استئناف التسجيل في ${flow}`,
  stopIn: (flow: string) => `إنهاء التسجيل في ${flow}`,
  stop: 'إنهاء',
};
const EN = { consents: 'Consents', grant: 'Grant consent', sequences: 'Sequences', edit: 'Edit contact', withdrawn: 'Withdrawn' };

const toArabicIndic = (digits: string) => digits.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
/** A Saudi mobile number no other run or suite uses: 055 and seven random digits. */
const randomLocalMobile = () => `055${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const e164 = (local: string) => `+966${local.slice(1)}`;
const DAY = 24 * 60 * 60 * 1000;

/** Closes the notices (they would cover the page in a screenshot). */
async function dismissNotices(page: Page): Promise<void> {
  const close = page.getByTestId('notice').locator('button');
  while ((await close.count()) > 0) await close.first().click();
}

interface Consent { channel: string; purpose: string; status: string }

describe('contacts: create, consent and enrollments in a browser', function () {
  this.timeout(180_000);
  let server: EditorServer;
  let browser: Browser;

  before(async function () {
    ({ server, browser } = await editorEnv(this));
  });

  /** A consent row of the contact page. */
  const consentRow = (page: Page, channel: string, purpose: string) => page.locator(`[data-testid=consents] tr[data-channel=${channel}][data-purpose=${purpose}]`);

  it('lets a manager, in Arabic, create a contact, manage its consent with evidence and its enrollment; a viewer only reads', async () => {
    const admin = await server.token('admin');
    const suffix = `${Date.now() % 1_000_000}`;

    // A sequence the contact can be enrolled in: manual trigger → an hour's delay → set (Class A: the admin publishes it).
    const flowName = `متابعة العملاء ${suffix}`;
    const flow = await server.api<{ id: string }>(admin, 'POST', '/flows', {
      name: flowName,
      definition: {
        nodes: [
          { id: 'start', type: 'trigger.manual', params: {}, position: { x: 0, y: 0 } },
          { id: 'wait', type: 'time.delay', params: { seconds: 3600 }, position: { x: 320, y: 0 } },
          { id: 'done', type: 'data.set', params: { fields: { followedUp: true } }, position: { x: 640, y: 0 } },
        ],
        edges: [
          { id: 'e1', from: { node: 'start', port: 'out' }, to: { node: 'wait', port: 'in' } },
          { id: 'e2', from: { node: 'wait', port: 'out' }, to: { node: 'done', port: 'in' } },
        ],
      },
    });
    const published = await server.api<{ version?: unknown }>(admin, 'POST', `/flows/${flow.id}/publish`);
    expect(published.version, JSON.stringify(published)).to.not.equal(undefined);
    // Another contact of this suite, whose phone the correction below tries to take.
    const otherLocal = randomLocalMobile();
    const other = await server.api<{ id: string }>(admin, 'POST', '/contacts', { name: `جهة أخرى ${suffix}`, phone: otherLocal });

    const page = await browser.newPage();
    await signIn(page, server.origin, 'manager');
    await useLanguage(page, 'ar');
    expect(await htmlDir(page)).to.deep.equal({ dir: 'rtl', lang: 'ar' });

    // New contact: an invalid phone is refused on the phone field, and nothing typed is lost.
    await page.getByRole('link', { name: AR.contacts, exact: true }).click();
    await page.getByRole('heading', { name: AR.contacts, exact: true }).waitFor();
    await page.getByRole('button', { name: AR.newContact, exact: true }).click();
    const form = page.getByTestId('contact-form');
    await form.waitFor();
    const name = `ريم القحطاني ${suffix}`;
    await form.getByRole('textbox', { name: AR.name }).fill(name);
    await form.getByRole('textbox', { name: AR.phone, exact: true }).fill('12345');
    await form.getByTestId('contact-email').fill(`reem.${suffix}@example.sa`);
    await form.getByTestId('contact-company').fill('شركة النخبة');
    await form.getByRole('button', { name: AR.create }).click();
    const phoneField = form.getByTestId('field-phone');
    await phoneField.locator('.field-error').filter({ hasText: AR.invalidPhone }).waitFor();
    expect(await form.getByTestId('contact-phone').getAttribute('aria-invalid')).to.equal('true');
    expect(await form.getByTestId('contact-name').inputValue()).to.equal(name);

    // Fixed with a local number typed in Arabic-Indic digits: stored as E.164.
    const local = randomLocalMobile();
    await form.getByTestId('contact-phone').fill(toArabicIndic(local));
    await form.getByRole('button', { name: AR.create }).click();
    await page.waitForURL(/\/contacts\/[^/]+$/);
    await page.getByRole('heading', { name, exact: true }).waitFor();
    const contactId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(await page.getByTestId('contact-phone-value').textContent()).to.equal(e164(local));

    // Correction: another contact's phone is refused (409) on the phone field; then a company change is saved.
    await page.getByRole('button', { name: AR.edit }).click();
    await form.waitFor();
    await form.getByTestId('contact-phone').fill(otherLocal);
    await form.getByTestId('contact-save').click();
    await form.getByTestId('field-phone').locator('.field-error').filter({ hasText: AR.duplicatePhone }).waitFor();
    await form.getByTestId('contact-phone').fill(e164(local));
    await form.getByTestId('contact-company').fill('شركة النخبة للتجارة');
    await form.getByTestId('contact-save').click();
    await form.waitFor({ state: 'detached' });
    await page.getByTestId('contact-facts').filter({ hasText: 'شركة النخبة للتجارة' }).waitFor();

    // Grant WhatsApp marketing: empty evidence, then a future date, are refused on their fields; what was chosen stays.
    await page.getByRole('button', { name: AR.grant }).click();
    const grant = page.getByTestId('grant-form');
    await grant.getByTestId('grant-channel').selectOption('whatsapp');
    await grant.getByTestId('grant-purpose').selectOption('marketing');
    await grant.getByTestId('grant-source').selectOption('web_form');
    const tomorrow = new Date(Date.now() + 3 * 60 * 60 * 1000 + DAY).toISOString().slice(0, 10); // Riyadh is UTC+3
    await grant.getByTestId('grant-date').fill(tomorrow);
    await grant.getByTestId('grant-submit').click();
    await grant.getByTestId('grant-evidence').locator('.field-error').filter({ hasText: AR.emptyEvidence }).waitFor();
    await grant.getByTestId('evidence-formUrl').fill('https://example.sa/ar/offers-signup');
    await grant.getByTestId('evidence-text').fill('أوافق على تلقي العروض عبر واتساب');
    await grant.getByTestId('grant-submit').click();
    await grant.getByTestId('field-grantedAt').locator('.field-error').filter({ hasText: AR.inFuture }).waitFor();
    expect(await grant.getByTestId('grant-channel').inputValue()).to.equal('whatsapp');
    expect(await grant.getByTestId('evidence-formUrl').inputValue()).to.equal('https://example.sa/ar/offers-signup');
    await grant.getByTestId('grant-date').fill('');
    await grant.getByTestId('grant-submit').click();
    await grant.waitFor({ state: 'detached' });

    // Valid until about 12 months from now; the history shows the grant, by the manager.
    const consent = consentRow(page, 'whatsapp', 'marketing');
    await page.locator('[data-testid=consents] tr[data-channel=whatsapp][data-purpose=marketing][data-status=granted]').waitFor();
    expect(await consent.getAttribute('data-valid')).to.equal('true');
    expect(await consent.textContent()).to.include(AR.whatsapp).and.to.include(AR.valid);
    const expires = Date.parse((await consent.getAttribute('data-expires-at'))!);
    const inAYear = new Date();
    inAYear.setUTCFullYear(inAYear.getUTCFullYear() + 1);
    expect(Math.abs(expires - inAYear.getTime())).to.be.below(2 * DAY);
    const grantEvent = page.locator('[data-testid=consent-history] tr[data-type=grant][data-channel=whatsapp]');
    await grantEvent.waitFor();
    expect(await grantEvent.textContent()).to.include(AR.grantEvent).and.to.include('https://example.sa/ar/offers-signup');
    expect(await grantEvent.getByTestId('event-actor').textContent()).to.include(AR.you);

    // Renew (confirmed): the history shows the renewal.
    await consent.getByRole('button', { name: AR.renewWhatsappMarketing }).click();
    await page.locator('dialog[open]').getByRole('button', { name: AR.renew, exact: true }).click();
    await page.locator('[data-testid=consent-history] tr[data-type=renew][data-channel=whatsapp]').waitFor();

    // Withdraw with a reason, confirmed: withdrawn, not valid; the history shows it with the reason.
    await consent.getByRole('button', { name: AR.withdrawWhatsappMarketing }).click();
    const withdraw = page.getByTestId('withdraw-form');
    await withdraw.getByTestId('withdraw-reason').fill('طلب العميل إيقاف العروض');
    await withdraw.getByTestId('withdraw-source').selectOption('call_recording');
    await withdraw.getByTestId('withdraw-submit').click();
    const confirm = page.locator('dialog[open]');
    await confirm.waitFor();
    await confirm.getByRole('button', { name: AR.withdraw, exact: true }).click();
    await page.locator('[data-testid=consents] tr[data-channel=whatsapp][data-purpose=marketing][data-status=withdrawn]').waitFor();
    expect(await consent.getAttribute('data-valid')).to.equal('false');
    const withdrawEvent = page.locator('[data-testid=consent-history] tr[data-type=withdraw][data-channel=whatsapp]');
    await withdrawEvent.waitFor();
    expect(await withdrawEvent.textContent()).to.include(AR.withdrawEvent).and.to.include('طلب العميل إيقاف العروض');
    // Renewal of a withdrawn consent: no button, and the API refuses it.
    expect(await consent.getByTestId('consent-renew').count()).to.equal(0);
    const manager = await server.token('manager');
    const renew = await server.api(manager, 'POST', `/contacts/${contactId}/consents/renew`, { channel: 'whatsapp', purpose: 'marketing' }).then(
      () => 'renewed',
      (err: Error) => err.message,
    );
    expect(renew).to.match(/409/).and.to.include('renew_not_allowed');
    const consents = await server.api<{ items: Consent[] }>(manager, 'GET', `/contacts/${contactId}/consents`);
    expect(consents.items.find((c) => c.channel === 'whatsapp' && c.purpose === 'marketing')?.status).to.equal('withdrawn');
    await page.getByTestId('consents-section').scrollIntoViewIfNeeded();
    await dismissNotices(page);
    await screenshot(page, 'contacts-consent-ar');

    // Enroll in the published flow: listed active (at its delay); pause and resume; the history lists each change.
    const enrollments = page.getByTestId('enrollments-section');
    await enrollments.getByRole('heading', { name: AR.sequences }).waitFor();
    await enrollments.getByTestId('enroll-flow').selectOption(flow.id);
    await enrollments.getByTestId('enroll-submit').click();
    const row = enrollments.locator(`tr[data-flow-id="${flow.id}"]`);
    await enrollments.locator(`tr[data-flow-id="${flow.id}"][data-state=active]`).waitFor();
    expect(await row.getByRole('link', { name: flowName }).getAttribute('href')).to.equal(`/flows/${flow.id}`);
    expect(await row.getByTestId('enrollment-state').textContent()).to.equal(AR.active);
    await row.getByRole('button', { name: AR.pauseIn(flowName) }).click();
    await enrollments.locator(`tr[data-flow-id="${flow.id}"][data-state=paused]`).waitFor();
    expect(await row.getByTestId('enrollment-state').textContent()).to.equal(AR.paused);
    expect(await row.locator('code').textContent()).to.equal('wait');
    await row.getByRole('button', { name: AR.resumeIn(flowName) }).click();
    await enrollments.locator(`tr[data-flow-id="${flow.id}"][data-state=active]`).waitFor();
    await row.getByTestId('enrollment-history-toggle').click();
    const history = enrollments.getByTestId('enrollment-history');
    await history.locator('li[data-reason=resumed]').waitFor();
    expect(await Promise.all((await history.locator('li').all()).map((li) => li.getAttribute('data-reason')))).to.deep.equal(['enrolled', 'paused', 'resumed']);
    await dismissNotices(page);
    await enrollments.scrollIntoViewIfNeeded();
    await screenshot(page, 'contacts-enrollments-ar');

    // English labels once (ltr), then back to Arabic.
    // A deal of the contact: its SAR value (a decimal string in the API) shown exactly, never through a float.
    await server.api(manager, 'POST', '/deals', { title: 'توريد أجهزة', contactId, stage: 'proposal', valueSar: '123456789.01', probability: 60 });
    await page.reload();
    const deal = page.locator('[data-testid=deals] tr[data-stage=proposal]');
    await deal.waitFor();
    expect(await deal.getByTestId('deal-value').textContent()).to.match(/123,456,789\.01/).and.to.include('ر.س');
    expect(await deal.textContent()).to.include('عرض سعر');

    await useLanguage(page, 'en');
    expect(await htmlDir(page)).to.deep.equal({ dir: 'ltr', lang: 'en' });
    expect(await deal.getByTestId('deal-value').textContent()).to.match(/SAR\s?123,456,789\.01/);
    await page.getByRole('heading', { name: EN.consents, exact: true }).waitFor();
    await page.getByRole('heading', { name: EN.sequences, exact: true }).waitFor();
    await page.getByRole('button', { name: EN.grant, exact: true }).waitFor();
    await page.getByRole('button', { name: EN.edit, exact: true }).waitFor();
    expect(await consent.textContent()).to.include(EN.withdrawn);
    await useLanguage(page, 'ar');
    expect(await htmlDir(page)).to.deep.equal({ dir: 'rtl', lang: 'ar' });

    // Stop the enrollment (confirmed): it ends, cancelled, and nothing is left waiting.
    await row.getByRole('button', { name: AR.stopIn(flowName) }).click();
    await page.locator('dialog[open]').getByRole('button', { name: AR.stop, exact: true }).click();
    await enrollments.locator(`tr[data-flow-id="${flow.id}"][data-state=cancelled]`).waitFor();
    expect(await row.getByTestId('enrollment-state').textContent()).to.equal(AR.stopped);
    await page.close();

    // A viewer reads the same contact and sees no edit controls.
    const viewer = await browser.newPage();
    await signIn(viewer, server.origin, 'viewer');
    await viewer.goto(`${server.origin}/contacts`);
    await viewer.getByTestId('contacts-table').waitFor();
    expect(await viewer.getByTestId('contact-new').count()).to.equal(0);
    await viewer.goto(`${server.origin}/contacts/${encodeURIComponent(contactId)}`);
    await viewer.locator('[data-testid=consents] tr[data-channel=whatsapp]').waitFor();
    await viewer.locator(`[data-testid=enrollments] tr[data-flow-id="${flow.id}"]`).waitFor();
    for (const id of ['contact-edit', 'grant-open', 'consent-withdraw', 'consent-renew', 'enroll-form', 'enrollment-pause', 'enrollment-resume', 'enrollment-stop']) {
      expect(await viewer.getByTestId(id).count(), id).to.equal(0);
    }
    await viewer.close();
    expect(other.id).to.not.equal(contactId);
  });
});
