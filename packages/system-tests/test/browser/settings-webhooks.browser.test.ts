/// <reference lib="dom" />
// page.evaluate() callbacks run in the page, with its globals.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { REPO_ROOT } from '@outboundiq/testkit';
import type { Locator, Page } from 'playwright-core';
import { signIn, startAdmin, startBrowser, type AdminUnderTest, type BrowserUnderTest } from '../../src/browser.js';

// One signed-in user walking through Settings -> Webhooks in a real browser, against the built admin
// app and a real Redis; each step checks through the API what the page did, and leaves a screenshot.
const COMPANY = 'acme-browser';
let admin: AdminUnderTest;
let browser: BrowserUnderTest;
let page: Page;
let firstSecret = '';

beforeAll(async () => {
  admin = await startAdmin('browser-ui');
  browser = await startBrowser('settings', admin.baseUrl);
  page = browser.page;
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await admin?.close();
});

const card = (name: string) => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name, exact: true }) });
const webhooks = async () => (await admin.api('GET', `/${COMPANY}/webhooks`)).json.webhooks as { id: string; name: string; enabled: boolean }[];

/** The text of the element(s) an input's aria-describedby points at: what a screen reader reads with it. */
async function description(input: Locator): Promise<string> {
  return input.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '),
  );
}

/** Closes the secret dialog the way the page asks for: "I have saved it", then confirm. */
async function closeSecretDialog(): Promise<void> {
  await page.getByRole('button', { name: 'I have saved it' }).click();
  await page.getByRole('dialog', { name: 'Close the signing secret?' }).getByRole('button', { name: 'Close it' }).click();
  await page.waitForFunction(() => document.querySelector('[role="dialog"]') === null);
}

it('signs in with the company slug and an admin token kept for the tab only', async () => {
  await signIn(page, admin.baseUrl, COMPANY, 'wrong-token');
  await page.getByText('This token was not accepted.').waitFor();
  expect(await description(page.getByLabel('Admin token'))).toContain('This token was not accepted.');
  await browser.screenshot('sign-in-refused');

  await page.getByLabel('Admin token').fill('browser-test-token-0123456789');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
  await page.getByText('No webhooks yet').waitFor();
  const storage = await page.evaluate(() => ({ session: JSON.stringify(sessionStorage), local: localStorage.length, cookies: document.cookie }));
  expect(storage.session).toContain('browser-test-token-0123456789');
  expect(storage).toMatchObject({ local: 0, cookies: '' });
  await browser.screenshot('signed-in-empty');
});

it('shows the API\'s validation errors beside the field they name', async () => {
  await page.getByLabel('Name').fill('CRM');
  await page.getByLabel('Destination URL').fill('http://hooks.example.com/outboundiq');
  await page.getByRole('button', { name: 'Add header' }).click();
  await page.getByRole('group', { name: 'Header 1' }).getByLabel('Header name').fill('X-OutboundIQ-Event');
  await page.getByRole('group', { name: 'Header 1' }).getByLabel('Value').fill('mine');
  await page.getByRole('button', { name: 'Create webhook' }).click();

  const url = page.getByLabel('Destination URL');
  await page.waitForFunction(() => document.querySelector('input[name="url"]')?.getAttribute('aria-invalid') === 'true');
  expect(await description(url)).toContain('must use https://');
  const headerName = page.getByRole('group', { name: 'Header 1' }).getByLabel('Header name');
  expect(await headerName.getAttribute('aria-invalid')).toBe('true');
  expect(await description(headerName)).toContain('reserved');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('url');
  expect(await webhooks()).toEqual([]);
  await browser.screenshot('validation-error');
});

it('creates a webhook and shows its secret once, in a dialog that asks before it closes', async () => {
  await page.getByLabel('Destination URL').fill('https://hooks.example.com/outboundiq');
  await page.getByRole('group', { name: 'Header 1' }).getByLabel('Header name').fill('X-Api-Key');
  await page.getByRole('group', { name: 'Header 1' }).getByLabel('Value').fill('k-123');
  await page.getByRole('button', { name: 'Create webhook' }).click();

  const dialog = page.getByRole('dialog', { name: 'Webhook “CRM” created' });
  await dialog.waitFor();
  expect(await dialog.textContent()).toContain('This secret will never be shown again.');
  firstSecret = await dialog.getByLabel('Signing secret').inputValue();
  expect(firstSecret).toMatch(/^whsec_/);
  await dialog.getByRole('button', { name: 'Copy secret' }).click();
  await dialog.getByText('Copied to the clipboard.').waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(firstSecret);
  await browser.screenshot('secret-shown-once', { fullPage: false });

  // Focus stays in the dialog, and Escape asks rather than closes.
  const focusInDialog = () => page.evaluate(() => document.activeElement?.closest('[role="dialog"]')?.textContent?.includes('never be shown again') === true);
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    expect(await focusInDialog()).toBe(true);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focusInDialog()).toBe(true);
  }
  await page.keyboard.press('Escape');
  const ask = page.getByRole('dialog', { name: 'Close the signing secret?' });
  await ask.waitFor();
  await browser.screenshot('close-secret-confirm', { fullPage: false });
  await ask.getByRole('button', { name: 'Go back' }).click();
  expect(await dialog.isVisible()).toBe(true);
  await closeSecretDialog();
  // Focus lands on the new webhook, not on the page's top.
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('CRM');

  const [created] = await webhooks();
  // Header values are masked in every answer and on the page (CONTRACT section 3); the sender gets k-123.
  expect(created).toMatchObject({ name: 'CRM', enabled: true, headers: { 'X-Api-Key': '••••' } });
  const item = card('CRM');
  expect(await item.textContent()).toContain('https://hooks.example.com/outboundiq');
  expect(await item.textContent()).toContain('X-Api-Key: ••••');
  expect(await page.content()).not.toContain('k-123');
  expect(await item.locator('time').getAttribute('datetime')).toBe((created as unknown as { createdAt: string }).createdAt);
  expect(await item.getByRole('switch', { name: 'Enabled' }).getAttribute('aria-checked')).toBe('true');
  await browser.screenshot('created');
  // The README's picture (docs/settings-webhooks.png is a copy of it).
  await page.evaluate(() => window.scrollTo(0, 0));
  await browser.screenshot('overview', { fullPage: false });

  await page.reload();
  await card('CRM').waitFor();
  expect(await page.content()).not.toContain(firstSecret);
  expect(await page.getByRole('dialog').count()).toBe(0);
});

it('toggles a webhook off and on', async () => {
  const toggle = card('CRM').getByRole('switch', { name: 'Enabled' });
  await toggle.click();
  await page.getByText('“CRM” is disabled').waitFor();
  expect(await toggle.getAttribute('aria-checked')).toBe('false');
  expect((await webhooks())[0]!.enabled).toBe(false);
  await browser.screenshot('disabled');

  await toggle.focus();
  await page.keyboard.press('Space');
  await page.getByText('“CRM” is enabled').waitFor();
  expect(await toggle.getAttribute('aria-checked')).toBe('true');
  expect((await webhooks())[0]!.enabled).toBe(true);
});

it('rotates the signing secret after saying the old one stops at once', async () => {
  await card('CRM').getByRole('button', { name: 'Rotate signing secret' }).click();
  const ask = page.getByRole('dialog', { name: 'Rotate the signing secret of “CRM”?' });
  expect(await ask.textContent()).toContain('the old one stops working at once');
  await browser.screenshot('rotate-confirm', { fullPage: false });
  await ask.getByRole('button', { name: 'Rotate secret' }).click();

  const dialog = page.getByRole('dialog', { name: 'New signing secret for “CRM”' });
  const secret = await dialog.getByLabel('Signing secret').inputValue();
  expect(secret).toMatch(/^whsec_/);
  expect(secret).not.toBe(firstSecret);
  await browser.screenshot('rotated', { fullPage: false });
  await closeSecretDialog();
});

it('deletes a webhook after saying it gets nothing more', async () => {
  await card('CRM').getByRole('button', { name: 'Delete' }).click();
  const ask = page.getByRole('dialog', { name: 'Delete “CRM”?' });
  expect(await ask.textContent()).toContain('It gets nothing more');
  // Cancel (Escape) keeps it.
  await page.keyboard.press('Escape');
  await ask.waitFor({ state: 'detached' });
  expect(await webhooks()).toHaveLength(1);

  await card('CRM').getByRole('button', { name: 'Delete' }).click();
  await browser.screenshot('delete-confirm', { fullPage: false });
  await page.getByRole('dialog').getByRole('button', { name: 'Delete webhook' }).click();
  await page.getByText('Webhook “CRM” deleted.').waitFor();
  expect(await card('CRM').count()).toBe(0);
  expect(await webhooks()).toEqual([]);
});

it('disables Create at 3 webhooks and says why', async () => {
  for (const name of ['CRM', 'Warehouse', 'Pipeline']) {
    expect((await admin.api('POST', `/${COMPANY}/webhooks`, { name, url: `https://hooks.example.com/${name.toLowerCase()}`, headers: {} })).status).toBe(201);
  }
  await page.reload();
  await card('Pipeline').waitFor();
  const create = page.getByRole('button', { name: 'Create webhook' });
  expect(await create.isDisabled()).toBe(true);
  expect(await description(create)).toContain('This company has 3 webhooks, the most allowed. Delete one to add another.');
  expect(await page.getByText('This company has 3 webhooks').isVisible()).toBe(true);
  await browser.screenshot('limit-reached');
});

it('shows the doc\'s verification snippets, verbatim', async () => {
  // testkit/doc-snippets hold the doc's text verbatim; the page only adds line breaks and indentation.
  const verbatim = (file: string) => /--- verbatim ---\n([\s\S]*?)\n\S+ --- end verbatim ---/.exec(readFileSync(`${REPO_ROOT}packages/testkit/doc-snippets/${file}`, 'utf8'))![1]!;
  const squeeze = (text: string) => text.replace(/\s+/g, '');
  const shown = (language: string) => page.locator(`pre[data-snippet="${language}"]`).innerText();
  expect(squeeze(await shown('Node.js'))).toBe(squeeze(verbatim('verify-node.mjs')));
  expect(squeeze(await shown('Python'))).toBe(squeeze(verbatim('verify.py')));
  expect(await shown('Python')).toContain('\n    if not header or not header.startswith("sha256="):\n        return False\n');
  expect(await shown('Node.js')).toContain('\n  if (a.length !== b.length) return false;\n');
});

it('fits a 375 px wide window without horizontal scrolling', async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  await browser.screenshot('narrow');
  await card('CRM').getByRole('button', { name: 'Rotate signing secret' }).click();
  await browser.screenshot('narrow-dialog', { fullPage: false });
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 1100, height: 900 });
});
