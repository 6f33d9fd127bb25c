// The settings pages in a real browser, on FRESH tenants signed up through the API (the demo
// tenant is shared with other suites): credentials (write-only: the secret is never shown,
// "replace secret" starts empty), users and roles (invite → the invitee accepts on the link's page → change the
// role in the table; the last owner cannot demote themself), API keys (shown once, revoked),
// in Arabic with one look in English; and the tenant switcher for a member of two tenants.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { screenshot, type Browser } from './helpers/browser.js';
import type { EditorServer } from './helpers/editor-server.js';
import { editorEnv } from './helpers/shared-env.js';
import { htmlDir, useLanguage } from './helpers/editor-page.js';
import { PERMISSIONS } from '../../server/auth/permissions.js';

// Written out on purpose: the test checks that the Arabic UI really shows Arabic.
const AR = {
  credentials: 'بيانات الاعتماد',
  users: 'المستخدمون',
  httpHeader: 'ترويسة HTTP',
  headerValue: 'قيمة الترويسة',
  replaceNote: 'لا تُعرض القيم المخزّنة ولا تُعبّأ هنا أبدًا',
  required: 'هذا الحقل مطلوب.',
  lastOwner: 'يجب أن يبقى لمساحة العمل مالك واحد على الأقل',
  owner: 'المالك',
  admin: 'مدير النظام',
  keyWarning: 'انسخ المفتاح الآن',
  noAccess: 'لا يتيح لك دورك الوصول إلى هذه الصفحة.',
  notInRole: 'ليست من صلاحيات الدور المختار.',
  inviteWarning: 'يُعرض رابط الدعوة هذا مرة واحدة فقط',
  acceptInvite: 'قبول الدعوة',
};
const PASSWORD = 'admin-pages-2026!';

interface Session { accessToken: string; tenant: { id: string; slug: string; name: string }; user: { id: string; email: string }; role: string }
interface Credential { id: string; name: string; type: string; fields: string[]; createdAt: string; updatedAt: string }
interface Member { id: string; email: string; role: string }

const stamp = (): string => `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

/** An unauthenticated API call that must succeed (sign-up, accepting an invitation). */
async function publicPost<T>(origin: string, url: string, body: unknown): Promise<T> {
  const res = await fetch(`${origin}/api/v1${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function signUp(origin: string, tenantName: string, email: string, name: string): Promise<Session> {
  return publicPost<Session>(origin, '/auth/signup', { tenantName, name, email, password: PASSWORD, locale: 'ar' });
}

/** The status of an API call with a key (X-API-Key), to see it work and then be refused. */
async function statusWithKey(origin: string, key: string, url: string): Promise<number> {
  return (await fetch(`${origin}/api/v1${url}`, { headers: { 'x-api-key': key } })).status;
}

async function signInAs(page: Page, origin: string, email: string, password: string): Promise<void> {
  await page.goto(`${origin}/flows`);
  await page.waitForURL(/\/login/);
  await page.locator('input[type=email]').fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.locator('button[type=submit]').click();
  await page.waitForURL(/\/flows$/);
  await page.locator('[data-testid=flows-table], .empty').first().waitFor();
}

async function confirmDialog(page: Page): Promise<void> {
  await page.locator('dialog[open] button.danger').click();
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
}

describe('admin pages in a browser: credentials, users and roles, API keys, tenant switcher', function () {
  this.timeout(180_000);
  let server: EditorServer;
  let browser: Browser;
  let owner: Session;
  let ownerEmail: string;

  before(async function () {
    ({ server, browser } = await editorEnv(this));
    const s = stamp();
    ownerEmail = `owner-${s}@admin-pages.tadfuq.test`;
    owner = await signUp(server.origin, `شركة الاختبار ${s}`, ownerEmail, 'نورة القحطاني');
  });

  it('credentials in Arabic: create (errors beside the fields, nothing typed lost), never shows the secret, replace with an empty form, delete', async () => {
    const page = await browser.newPage();
    const secret = `sk-live-${randomBytes(12).toString('hex')}`;
    const secret2 = `sk-next-${randomBytes(12).toString('hex')}`;
    try {
      await signInAs(page, server.origin, ownerEmail, PASSWORD);
      await useLanguage(page, 'ar');
      expect(await htmlDir(page)).to.deep.equal({ dir: 'rtl', lang: 'ar' });
      await page.getByRole('link', { name: AR.credentials, exact: true }).click();
      await page.getByRole('heading', { name: AR.credentials, exact: true }).waitFor();
      await page.locator('.credentials-page .empty').waitFor();

      await page.getByTestId('credential-new').click();
      const dialog = page.getByTestId('credential-dialog');
      await dialog.waitFor();
      await dialog.getByTestId('credential-type').selectOption('http-header');
      expect(await dialog.getByTestId('credential-type').locator('option:checked').textContent()).to.equal(AR.httpHeader);
      const value = dialog.getByLabel(new RegExp(AR.headerValue));
      expect(await value.getAttribute('type')).to.equal('password');
      expect(await value.getAttribute('autocomplete')).to.equal('off');
      // A name the API refuses (pattern), then a missing header name: errors beside the fields,
      // nothing typed lost.
      await dialog.getByTestId('credential-name').fill('!crm');
      await value.fill(secret);
      await dialog.locator('input[name=name]').evaluate((el) => (el as unknown as { removeAttribute(name: string): void }).removeAttribute('required'));
      await dialog.getByTestId('credential-save').click();
      await dialog.locator('label:has([data-testid=credential-name]) .form-error').waitFor();
      expect(await value.inputValue()).to.equal(secret);
      await dialog.getByTestId('credential-name').fill('crm-header');
      await dialog.getByTestId('credential-save').click();
      const headerNameError = dialog.locator('label:has(input[name=name]) .form-error');
      await headerNameError.waitFor();
      expect(await headerNameError.textContent()).to.equal(AR.required);
      expect(await dialog.locator('label:has([data-testid=credential-name]) .form-error').count()).to.equal(0);
      expect(await value.inputValue()).to.equal(secret);
      await dialog.locator('input[name=name]').fill('X-Api-Key');
      await dialog.getByTestId('credential-save').click();
      await dialog.waitFor({ state: 'detached' });

      const row = page.locator('[data-testid=credentials-table] tr[data-credential-name="crm-header"]');
      await row.waitFor();
      expect(await row.textContent()).to.include(AR.httpHeader).and.to.include('نورة القحطاني');
      expect(await page.content()).not.to.include(secret);
      const [stored] = (await server.api<{ items: Credential[] }>(owner.accessToken, 'GET', '/credentials')).items;
      expect(stored).to.include({ name: 'crm-header', type: 'http-header' });
      expect(stored!.fields).to.have.members(['name', 'value']);
      await screenshot(page, 'admin-credentials-ar');

      // Replace: the form starts empty and says so; the new secret is not shown either.
      await row.getByTestId('credential-replace').click();
      const replace = page.getByTestId('replace-dialog');
      await replace.waitFor();
      expect(await replace.getByTestId('replace-note').textContent()).to.include(AR.replaceNote);
      for (const input of await replace.locator('input').all()) expect(await input.inputValue()).to.equal('');
      await replace.locator('input[name=name]').fill('X-Api-Key');
      await replace.locator('input[name=value]').fill(secret2);
      await page.waitForTimeout(20); // updatedAt must move on
      await replace.getByTestId('replace-save').click();
      await replace.waitFor({ state: 'detached' });
      await page.getByTestId('notice').filter({ hasText: 'crm-header' }).first().waitFor();
      const content = await page.content();
      expect(content).not.to.include(secret2);
      expect(content).not.to.include(secret);
      const [replaced] = (await server.api<{ items: Credential[] }>(owner.accessToken, 'GET', '/credentials')).items;
      expect(replaced!.id).to.equal(stored!.id);
      expect(Date.parse(replaced!.updatedAt)).to.be.greaterThan(Date.parse(stored!.updatedAt));

      // Delete, with the confirmation.
      await row.getByTestId('credential-delete').click();
      await confirmDialog(page);
      await row.waitFor({ state: 'detached' });
      expect((await server.api<{ items: Credential[] }>(owner.accessToken, 'GET', '/credentials')).items).to.deep.equal([]);
    } finally {
      await page.close();
    }
  });

  it('users in Arabic: invite (link shown once) → accepted on the invitation page → role changed in the table; the last owner cannot demote themself; an API key shown once, then revoked', async () => {
    const page = await browser.newPage();
    const s = stamp();
    const memberEmail = `member-${s}@admin-pages.tadfuq.test`;
    try {
      await signInAs(page, server.origin, ownerEmail, PASSWORD);
      await useLanguage(page, 'ar');
      await page.getByRole('link', { name: AR.users, exact: true }).click();
      await page.getByRole('heading', { name: AR.users, exact: true }).waitFor();
      await page.locator(`[data-testid=members-table] tr[data-member-email="${ownerEmail}"]`).waitFor();

      // Invite as manager: the token is shown once, with its warning.
      await page.getByTestId('invite-email').fill(memberEmail);
      await page.getByTestId('invite-role').selectOption('manager');
      await page.getByTestId('invite-submit').click();
      const once = page.getByTestId('invitation-token');
      await once.waitFor();
      expect(await once.textContent()).to.include(AR.inviteWarning);
      const link = (await once.getByTestId('once-value').textContent()) ?? '';
      expect(link).to.match(new RegExp(`^${server.origin}/invite#tdf_inv_`));
      const token = link.slice(link.indexOf('#') + 1);
      await page.locator(`[data-testid=invitations-table] tr[data-email="${memberEmail}"]`).waitFor();

      // The invitee opens the link in their own browser tab (signed out), gives a name and a
      // password, and lands in the tenant's flows as a manager.
      const invitee = await browser.newPage();
      await invitee.goto(link);
      await invitee.getByRole('heading', { name: 'انضم إلى فريقك في تدفق' }).waitFor();
      expect(await htmlDir(invitee)).to.deep.equal({ dir: 'rtl', lang: 'ar' });
      await invitee.getByTestId('invite-name').fill('خالد الشمري');
      await invitee.getByTestId('invite-password').fill('short');
      await invitee.getByRole('button', { name: AR.acceptInvite }).click();
      await invitee.getByText('يحتاج الحساب الجديد إلى كلمة مرور من 10 أحرف على الأقل.').waitFor(); // refused beside the field, the form kept
      expect(await invitee.getByTestId('invite-name').inputValue()).to.equal('خالد الشمري');
      await invitee.getByTestId('invite-password').fill(PASSWORD);
      await screenshot(invitee, 'admin-invite-ar');
      await invitee.getByRole('button', { name: AR.acceptInvite }).click();
      await invitee.waitForURL(/\/flows$/);
      await invitee.getByTestId('notice').filter({ hasText: 'أهلًا بك في' }).waitFor();
      await invitee.getByTestId('tenant-switcher').waitFor();
      expect(await invitee.getByTestId('tenant-switcher').inputValue()).to.equal(owner.tenant.slug);
      await invitee.close();
      // The link works once.
      const again = await fetch(`${server.origin}/api/v1/auth/invitations/accept`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password: PASSWORD }) });
      expect(again.status).to.be.within(400, 499);
      await page.reload();
      const member = page.locator(`[data-testid=members-table] tr[data-member-email="${memberEmail}"]`);
      await member.waitFor();
      expect(await member.getAttribute('data-role')).to.equal('manager');
      expect(await page.content()).not.to.include(token); // gone after the reload, never listed
      await page.locator('[data-testid=invitations-table], .admin-section .empty').first().waitFor();
      expect(await page.locator(`[data-testid=invitations-table] tr[data-email="${memberEmail}"]`).count()).to.equal(0);

      // Change the role in the table; the API agrees.
      await member.getByTestId('member-role').selectOption('sales_rep');
      await page.locator(`[data-testid=members-table] tr[data-member-email="${memberEmail}"][data-role=sales_rep]`).waitFor();
      const members = (await server.api<{ items: Member[] }>(owner.accessToken, 'GET', '/users')).items;
      expect(members.find((m) => m.email === memberEmail)?.role).to.equal('sales_rep');

      // The only owner demoting themself: confirmed, refused by the API, its error in the row.
      const self = page.locator(`[data-testid=members-table] tr[data-member-email="${ownerEmail}"]`);
      await self.getByTestId('member-role').selectOption('admin');
      await confirmDialog(page);
      expect(await self.getByTestId('member-error').textContent()).to.include(AR.lastOwner);
      expect(await self.getByTestId('member-role').inputValue()).to.equal('owner');

      // A second invitation, revoked.
      const other = `other-${s}@admin-pages.tadfuq.test`;
      await page.getByTestId('invite-email').fill(other);
      await page.getByTestId('invite-submit').click();
      const pending = page.locator(`[data-testid=invitations-table] tr[data-email="${other}"]`);
      await pending.waitFor();
      await pending.getByTestId('invitation-revoke').click();
      await confirmDialog(page);
      await pending.waitFor({ state: 'detached' });

      // An API key: role manager, one scope; the key shown once, works, then revoked.
      // First a scope the role does not have: the API's error beside that scope.
      await page.getByTestId('key-name').fill('موقع الشركة');
      await page.getByTestId('key-role').selectOption('viewer');
      expect(await page.getByTestId('key-create').isDisabled()).to.equal(true); // no scope yet
      await page.getByTestId('key-scopes-toggle').click();
      const scopes = page.getByTestId('key-scopes');
      // Each scope reads in Arabic (GET /roles), and says when the chosen role does not hold it.
      expect(await scopes.locator('label[data-scope="flows.read"]').textContent()).to.include(PERMISSIONS['flows.read'].ar);
      expect(await scopes.locator('label[data-scope="flows.write"]').textContent()).to.include('ليست من صلاحيات دور');
      await scopes.locator('input[value="flows.write"]').check();
      await page.getByTestId('key-create').click();
      expect(await scopes.locator('label.scope.has-error').textContent()).to.include('flows.write').and.to.include(AR.notInRole);
      await scopes.locator('input[value="flows.write"]').uncheck();
      await scopes.locator('input[value="flows.read"]').check();
      await page.getByTestId('key-role').selectOption('manager');
      await page.getByTestId('key-create').click();
      const shown = page.getByTestId('api-key-once');
      await shown.waitFor();
      expect(await shown.textContent()).to.include(AR.keyWarning);
      const key = (await shown.getByTestId('once-value').textContent()) ?? '';
      expect(key).to.match(/^tdf_key_/);
      expect(await statusWithKey(server.origin, key, '/flows')).to.equal(200);
      const keyRow = page.locator('[data-testid=keys-table] tr[data-key-name="موقع الشركة"]');
      await keyRow.waitFor();
      expect(await keyRow.textContent()).to.include(key.slice(0, 14)).and.not.to.include(key);
      await page.evaluate('scrollTo(0, 0)');
      await screenshot(page, 'admin-users-ar');
      await shown.getByRole('button', { name: 'حفظته، أخفِه' }).click();
      await shown.waitFor({ state: 'detached' });
      expect(await page.content()).not.to.include(key);
      await keyRow.getByTestId('key-revoke').click();
      await confirmDialog(page);
      await keyRow.waitFor({ state: 'detached' });
      expect(await statusWithKey(server.origin, key, '/flows')).to.equal(401);

      // The member as a manager: credentials read-only, no users page.
      const memberId = members.find((m) => m.email === memberEmail)!.id;
      await server.api(owner.accessToken, 'PATCH', `/users/${memberId}`, { role: 'manager' });
      const managerPage = await browser.newPage();
      try {
        await signInAs(managerPage, server.origin, memberEmail, PASSWORD);
        await managerPage.getByRole('link', { name: AR.credentials, exact: true }).click();
        await managerPage.locator('.credentials-page .empty').waitFor();
        expect(await managerPage.getByTestId('credential-new').count()).to.equal(0);
        expect(await managerPage.getByRole('link', { name: AR.users, exact: true }).count()).to.equal(0);
        await managerPage.goto(`${server.origin}/settings/users`);
        await managerPage.getByText(AR.noAccess).waitFor();
        expect(await managerPage.getByTestId('members-table').count()).to.equal(0);
      } finally {
        await managerPage.close();
      }
    } finally {
      await page.close();
    }
  });

  it('shows the settings pages in English (ltr) too', async () => {
    const page = await browser.newPage();
    try {
      await signInAs(page, server.origin, ownerEmail, PASSWORD);
      await useLanguage(page, 'en');
      expect(await htmlDir(page)).to.deep.equal({ dir: 'ltr', lang: 'en' });
      await page.getByRole('link', { name: 'Credentials', exact: true }).click();
      await page.getByRole('heading', { name: 'Credentials', exact: true }).waitFor();
      await page.getByTestId('credential-new').click();
      const dialog = page.getByTestId('credential-dialog');
      await dialog.getByTestId('credential-type').selectOption('http-header');
      expect(await dialog.getByTestId('credential-type').locator('option:checked').textContent()).to.equal('HTTP header');
      await dialog.getByLabel(/Header value/).waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      for (const heading of ['Members', 'Invitations', 'API keys']) await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await useLanguage(page, 'ar'); // the browser's remembered language back to the default
    } finally {
      await page.close();
    }
  });

  it('switches tenants: a member of two tenants sees the other tenant’s name, flows and role, and keeps it over a reload', async () => {
    const s = stamp();
    const xEmail = `x-${s}@admin-pages.tadfuq.test`;
    // Memberships are listed by tenant name, and sign-in starts in the first: Alpha.
    const a = await signUp(server.origin, `Alpha ${s}`, xEmail, 'Xavier');
    const b = await signUp(server.origin, `Beta ${s}`, `y-${s}@admin-pages.tadfuq.test`, 'Yasmin');
    await server.api(a.accessToken, 'POST', '/flows', { name: `Alpha flow ${s}` });
    await server.api(b.accessToken, 'POST', '/flows', { name: `Beta flow ${s}` });
    const invitation = await server.api<{ token: string }>(b.accessToken, 'POST', '/users/invitations', { email: xEmail, role: 'admin' });
    await publicPost(server.origin, '/auth/invitations/accept', { token: invitation.token, password: PASSWORD });

    const page = await browser.newPage();
    try {
      await signInAs(page, server.origin, xEmail, PASSWORD);
      await useLanguage(page, 'ar');
      const switcher = page.getByTestId('tenant-switcher');
      expect(await switcher.isEnabled()).to.equal(true);
      expect(await switcher.inputValue()).to.equal(a.tenant.slug);
      const flows = page.getByTestId('flows-table');
      await flows.getByText(`Alpha flow ${s}`, { exact: true }).waitFor();
      expect(await flows.getByText(`Beta flow ${s}`).count()).to.equal(0);
      expect(await page.locator('.who').textContent()).to.include(AR.owner);

      await switcher.selectOption(b.tenant.slug);
      await page.getByTestId('flows-table').getByText(`Beta flow ${s}`, { exact: true }).waitFor();
      expect(await page.getByTestId('flows-table').getByText(`Alpha flow ${s}`).count()).to.equal(0);
      expect(await switcher.inputValue()).to.equal(b.tenant.slug);
      expect(await switcher.locator('option:checked').textContent()).to.equal(`Beta ${s}`);
      expect(await page.locator('.who').textContent()).to.include(AR.admin);

      await page.reload();
      await page.getByTestId('flows-table').getByText(`Beta flow ${s}`, { exact: true }).waitFor();
      expect(await page.getByTestId('tenant-switcher').inputValue()).to.equal(b.tenant.slug);
      expect(await page.locator('.who').textContent()).to.include(AR.admin);
    } finally {
      await page.close();
    }
  });
});
