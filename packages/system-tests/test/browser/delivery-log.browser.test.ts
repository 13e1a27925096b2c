/// <reference lib="dom" />
// page.evaluate() callbacks run in the page, with its globals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { REPO_ROOT, waitFor } from '@outboundiq/testkit';
import type { Locator, Page } from 'playwright-core';
import { ARTIFACTS, signIn, startAdmin, startBrowser, type AdminUnderTest, type BrowserUnderTest } from '../../src/browser.js';
import { sampleDial, startPipeline, type Pipeline } from '../../src/harness.js';

// The delivery log on the Settings page, against the built apps as processes: a delivery to a 503
// endpoint shows failed with its code, Resend (once the endpoint is fixed) makes it delivered; the
// webhook's URL is edited in place, with the API's error beside the field; axe finds nothing serious.
const COMPANY = 'acme-log-page';
let pipeline: Pipeline;
let admin: AdminUnderTest;
let browser: BrowserUnderTest;
let page: Page;
let hookId = '';
let deliveryId = '';

beforeAll(async () => {
  pipeline = await startPipeline('browser-log');
  admin = await startAdmin('browser-log', pipeline.prefix, false);
  browser = await startBrowser('delivery-log', admin.baseUrl);
  page = browser.page;
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await admin?.close();
  await pipeline?.close();
});

/** The text of the element(s) an input's aria-describedby points at: what a screen reader reads with it. */
async function description(input: Locator): Promise<string> {
  return input.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '),
  );
}

const row = (id: string) => page.locator(`tr[data-delivery-id="${id}"]`);

it('shows a failed delivery with its code 503, and Resend makes it delivered', async () => {
  const hook = await pipeline.createWebhook(COMPANY, '/hooks/crm', { name: 'CRM' });
  hookId = hook.id;
  pipeline.receiver.respond('/hooks/crm', () => ({ status: 503 }));
  await pipeline.producer.publish(sampleDial(COMPANY, 1));
  const [first] = await pipeline.receiver.waitForRequests('/hooks/crm', 2, 15_000);
  deliveryId = JSON.parse(first!.body.toString()).deliveryId;
  await waitFor(async () => (await admin.api('GET', `/${COMPANY}/webhooks/${hookId}/deliveries/${deliveryId}`)).status === 200, 10_000, 'the failed delivery in the log');

  await signIn(page, admin.baseUrl, COMPANY);
  await row(deliveryId).waitFor();
  await expect(row(deliveryId).getByText('Failed', { exact: true }).isVisible()).resolves.toBe(true);
  expect(await row(deliveryId).locator('.deliveries__reason').innerText()).toContain('503');
  await page.getByText('0 delivered, 1 failed in the last 24 hours').waitFor();
  await row(deliveryId).getByRole('button', { name: 'Attempts (2)' }).click();
  const attempts = page.locator(`#${await row(deliveryId).getByRole('button', { name: /^Attempts/ }).getAttribute('aria-controls')} li`);
  expect(await attempts.allInnerTexts()).toEqual([expect.stringContaining('HTTP 503'), expect.stringContaining('HTTP 503')]);
  await browser.screenshot('failed-503');

  // "Failed only" keeps it; the endpoint is fixed; Resend.
  await page.getByLabel('Failed only').check();
  await row(deliveryId).waitFor();
  pipeline.receiver.respond('/hooks/crm', () => ({ status: 200 }));
  await row(deliveryId).getByRole('button', { name: 'Resend' }).click();
  await row(deliveryId).getByText('Delivered', { exact: true }).waitFor({ timeout: 20_000 });
  await page.getByText('1 delivered, 1 failed in the last 24 hours').waitFor();
  await page.getByText(`Delivery ${deliveryId.slice(0, 8)} was resent and delivered.`).waitFor();
  expect(await row(deliveryId).getByRole('button', { name: 'Resend' }).count()).toBe(0);
  await browser.screenshot('resent-delivered');

  const requests = pipeline.receiver.requestsTo('/hooks/crm');
  expect(requests).toHaveLength(3);
  expect(JSON.parse(requests[2]!.body.toString()).deliveryId).toBe(deliveryId);
  const record = (await admin.api('GET', `/${COMPANY}/webhooks/${hookId}/deliveries/${deliveryId}`)).json;
  expect(record).toMatchObject({ status: 'delivered' });
  expect(record.attempts).toHaveLength(3);

  await page.getByLabel('Failed only').uncheck();
  await row(deliveryId).waitFor();
  // The card with its log, attempts open: what the README shows.
  const expand = row(deliveryId).getByRole('button', { name: 'Attempts (3)' });
  await expand.click();
  await page.locator('.card').screenshot({ path: join(ARTIFACTS, 'delivery-log-card.png') });
  await expand.click();
});

it('edits the URL in place, with the API\'s error beside the field', async () => {
  await page.getByRole('button', { name: 'Edit' }).click();
  const form = page.getByRole('form', { name: 'Edit “CRM”' });
  const url = form.getByLabel('Destination URL');
  await url.fill('http://hooks.example.com/in');
  await form.getByRole('button', { name: 'Save changes' }).click();
  // The API's answer comes back asynchronously: wait for the field to be marked, then read it.
  await form.locator('[aria-invalid="true"]').waitFor();
  await expect(url.getAttribute('aria-invalid')).resolves.toBe('true');
  expect(await description(url)).toMatch(/https/);
  await expect(url.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
  await browser.screenshot('edit-url-refused');
  expect((await admin.api('GET', `/${COMPANY}/webhooks/${hookId}`)).json.url).toBe(pipeline.receiver.url('/hooks/crm'));

  const fixed = pipeline.receiver.url('/hooks/new');
  await url.fill(fixed);
  await form.getByLabel('Name').fill('CRM v2');
  await form.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Webhook “CRM v2” saved.').waitFor();
  await page.locator('.card__url', { hasText: fixed }).waitFor();
  expect((await admin.api('GET', `/${COMPANY}/webhooks/${hookId}`)).json).toMatchObject({ name: 'CRM v2', url: fixed });
  await browser.screenshot('edit-saved');
});

it('has no serious or critical axe violation, with the log\'s attempts open', async () => {
  await row(deliveryId).waitFor();
  await row(deliveryId).getByRole('button', { name: /^Attempts/ }).click();
  await page.getByRole('button', { name: 'Edit' }).click();
  // Injected through the DevTools protocol: the page's CSP allows no inline script, rightly.
  await page.evaluate(readFileSync(join(REPO_ROOT, 'packages/system-tests/node_modules/axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  await browser.screenshot('axe-scanned');
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
});
