/// <reference lib="dom" />
// page.evaluate() callbacks run in the page, with its globals.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createKeys, createRedisClient, secretBoxFromEnv, type RedisClient } from '@outboundiq/core';
import { createWebhookStore } from '@outboundiq/webhook-store';
import type { Page } from 'playwright-core';
import { startAdmin, startBrowser, type AdminUnderTest, type BrowserUnderTest } from '../../src/browser.js';
import { REDIS_URL } from '../../src/harness.js';

// A customer opening Settings -> Webhooks from outboundIQ's app: a portal session's url, in a real
// browser, against the built admin app as operators run it (so its guessing limit is the real one).
const A = 'acme-portal';
const B = 'other-portal';
const PUBLIC_URL = 'https://settings.outboundiq.example';
const FRAMER = 'https://app.outboundiq.example';
const API_KEY = 'crm-key-9d2f7a41c0e3b5a8';
const NEW_KEY = 'crm-key-rotated-33b1c7e2d9f0';
let admin: AdminUnderTest;
let browser: BrowserUnderTest;
let page: Page;
let redis: RedisClient;
let session: { token: string; url: string; expiresAt: string };
let link: string;
const issuedTokens: string[] = [];

beforeAll(async () => {
  admin = await startAdmin('browser-portal', undefined, true, { PUBLIC_URL, PORTAL_FRAME_ANCESTORS: FRAMER });
  browser = await startBrowser('portal', admin.baseUrl);
  page = browser.page;
  redis = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'portal-browser-test' });
  expect((await admin.api('POST', `/${A}/webhooks`, { name: 'CRM of A', url: 'https://hooks.example.com/a', headers: { 'X-Api-Key': API_KEY } })).status).toBe(201);
  expect((await admin.api('POST', `/${B}/webhooks`, { name: 'Secret plans of B', url: 'https://hooks.example.com/b' })).status).toBe(201);
  // What outboundIQ's app does when a customer of A opens Settings -> Webhooks. The shortest
  // session, so that its real expiry is seen at the end.
  const made = await admin.api('POST', `/${A}/portal-sessions`, { ttlSeconds: 60 });
  expect(made.status).toBe(201);
  session = made.json;
  issuedTokens.push(session.token);
  expect(session.url).toBe(`${PUBLIC_URL}/settings/webhooks#session=${session.token}`);
  // PUBLIC_URL is where customers reach the page; this test reaches the same app on its own port.
  link = `${admin.baseUrl}/settings/webhooks${new URL(session.url).hash}`;
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await admin?.close();
  await redis?.quit();
});

const card = (name: string) => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name, exact: true }) });
const portalCall = (path: string, token = session.token) =>
  fetch(`${admin.baseUrl}/v1/companies${path}`, { headers: { authorization: `Bearer ${token}` } });

it('opens signed in for its company, with no token field and no fragment left', async () => {
  await page.goto(link);
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
  await card('CRM of A').waitFor();
  expect(new URL(page.url()).hash).toBe('');
  expect(await page.evaluate(() => location.href)).toBe(`${admin.baseUrl}/settings/webhooks`);
  expect(await page.getByLabel('Admin token').count()).toBe(0);
  expect(await page.locator('input[type="password"]').count()).toBe(0);
  expect(await page.locator('.page__company').textContent()).toContain(A);
  // Masked, never the value; and nothing of B.
  const text = (await page.textContent('body'))!;
  expect(text).toContain('X-Api-Key: ••••b5a8');
  expect(await page.content()).not.toContain(API_KEY);
  expect(text).not.toContain('Secret plans of B');
  await browser.screenshot('portal-signed-in');
});

it('lets the customer replace a header value, which the sender then gets', async () => {
  await card('CRM of A').getByRole('button', { name: 'Replace header values' }).click();
  const dialog = page.getByRole('dialog', { name: 'Replace header values of “CRM of A”' });
  await dialog.getByText('Now: ••••b5a8').waitFor();
  await dialog.getByLabel('New value for X-Api-Key').fill(NEW_KEY);
  await browser.screenshot('portal-replace-header', { fullPage: false });
  await dialog.getByRole('button', { name: 'Save header values' }).click();
  await page.getByText('The header values of “CRM of A” were saved.').waitFor();
  expect(await card('CRM of A').textContent()).toContain(`X-Api-Key: ••••${NEW_KEY.slice(-4)}`);
  const [hook] = (await admin.api('GET', `/${A}/webhooks`)).json.webhooks;
  const store = createWebhookStore({ redis, keys: createKeys(admin.prefix), secretBox: secretBoxFromEnv(undefined, 'test').box });
  expect((await store.loadForDelivery(A, hook.id))!.webhook.headers).toEqual({ 'X-Api-Key': NEW_KEY });

  // Saving again without typing anything keeps it.
  await card('CRM of A').getByRole('button', { name: 'Replace header values' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Save header values' }).click();
  await page.getByText('The header values of “CRM of A” were saved.').waitFor();
  expect((await store.loadForDelivery(A, hook.id))!.webhook.headers).toEqual({ 'X-Api-Key': NEW_KEY });
});

it("never shows another company's webhooks, even when the tab is pointed at it", async () => {
  await page.evaluate((other) => {
    const key = 'outboundiq.settings.session';
    sessionStorage.setItem(key, JSON.stringify({ ...JSON.parse(sessionStorage.getItem(key)!), company: other }));
  }, B);
  await page.reload();
  await page.getByRole('alert').filter({ hasText: 'own company' }).waitFor();
  expect(await page.textContent('body')).not.toContain('Secret plans of B');
  expect(await page.getByRole('listitem').count()).toBe(0);
  await browser.screenshot('portal-other-company-refused');
  // Back to its own company.
  await page.evaluate((own) => {
    const key = 'outboundiq.settings.session';
    sessionStorage.setItem(key, JSON.stringify({ ...JSON.parse(sessionStorage.getItem(key)!), company: own }));
  }, A);
  await page.reload();
  await card('CRM of A').waitFor();
});

it('serves the page framable only by PORTAL_FRAME_ANCESTORS', async () => {
  const res = await fetch(`${admin.baseUrl}/settings/webhooks`);
  expect(res.headers.get('content-security-policy')).toContain(`frame-ancestors ${FRAMER}`);
});

it('says the session has expired once it has, and asks to reopen the page from outboundIQ', async () => {
  // The session's own 60 s run out (no clock is faked: this is the process and Redis as deployed).
  const left = Date.parse(session.expiresAt) - Date.now();
  if (left > 0) await page.waitForTimeout(left + 500);
  await card('CRM of A').getByRole('button', { name: 'Send a test dial' }).click();
  await page.getByRole('heading', { name: 'Your session has ended' }).waitFor();
  const text = (await page.textContent('body'))!;
  expect(text).toContain('Your session has expired.');
  expect(text).toContain('reopen Settings › Webhooks from outboundIQ');
  expect(await page.getByLabel('Admin token').count()).toBe(0);
  expect((await portalCall(`/${A}/webhooks`)).status).toBe(401);
  await browser.screenshot('portal-expired');
  // A reload of this tab still offers no token field.
  await page.reload();
  await page.getByRole('heading', { name: 'Your session has ended' }).waitFor();
  expect(await page.locator('input').count()).toBe(0);
}, 90_000);

it('answers repeated bad tokens 429, while a valid session is still answered at once', async () => {
  const fresh = (await admin.api('POST', `/${A}/portal-sessions`)).json as typeof session;
  issuedTokens.push(fresh.token);
  // A new document (a link differing only in its fragment would not reload the page).
  await page.goto('about:blank');
  await page.goto(`${admin.baseUrl}/settings/webhooks${new URL(fresh.url).hash}`);
  await card('CRM of A').waitFor();
  const statuses: number[] = [];
  for (let n = 0; n < 12; n++) statuses.push((await portalCall(`/${A}/webhooks`, `${fresh.token.slice(0, -3)}x${n}`)).status);
  // 10 failures a minute from one address are answered 401 (the expired session's above counted
  // too), then 429 for a while.
  const unauthorized = statuses.indexOf(429);
  expect(unauthorized).toBeGreaterThanOrEqual(1);
  expect(unauthorized).toBeLessThanOrEqual(10);
  expect(statuses).toEqual([...Array(unauthorized).fill(401), ...Array(12 - unauthorized).fill(429)]);
  const refused = await portalCall(`/${A}/webhooks`, 'guess');
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  // The same address (loopback), meanwhile: the valid portal token, from a script and from the page.
  expect((await portalCall(`/${A}/webhooks`, fresh.token)).status).toBe(200);
  await page.reload();
  await card('CRM of A').waitFor();
  expect(await page.locator('.alert').textContent()).toBe('');
  await browser.screenshot('portal-valid-while-guesses-refused');
}, 30_000);

it('never logged the portal token or a header value', () => {
  const lines = admin.process.logs.map((l) => JSON.stringify(l));
  expect(lines.some((l) => l.includes('/portal-sessions'))).toBe(true);
  const secrets = [...issuedTokens, ...issuedTokens.map((t) => t.split('.')[2]!), API_KEY, NEW_KEY];
  expect(lines.filter((l) => secrets.some((s) => l.includes(s)))).toEqual([]);
});
