import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, deleteKeys, spawnApp, uniquePrefix, type AppProcess } from '@outboundiq/testkit';
import { Redis } from 'ioredis';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REDIS_URL } from './harness.js';

export const ADMIN_TOKEN = 'browser-test-token-0123456789';
/** Debian's chromium (`apt-get install chromium`); a browser is never downloaded. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'browser');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface AdminUnderTest {
  baseUrl: string;
  prefix: string;
  process: AppProcess;
  /** The admin API as a script would call it, to check what the page did. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

/**
 * The built admin app (`node apps/admin/dist/main.js`, bundle included) as a real process on a free
 * port, on the real Redis under `prefix` (a fresh one unless given: the pipeline's, to share it).
 */
export async function startAdmin(name: string, prefix = uniquePrefix(name), ownsKeys = true, env: Record<string, string> = {}): Promise<AdminUnderTest> {
  const admin = spawnApp('admin', {
    REDIS_URL,
    KEY_PREFIX: prefix,
    ADMIN_API_TOKENS: ADMIN_TOKEN,
    PORT: '0',
    HOST: '127.0.0.1',
    ALLOW_PRIVATE_DESTINATIONS: 'true',
    LOG_LEVEL: 'info',
    // Another backend (REDIS_CLUSTER_NODES and SHARDS), for a test on the pipeline's.
    ...env,
  }, `admin-${name}`);
  const line = await admin.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at'));
  const baseUrl = /(http:\/\/\S+)/.exec(line.msg as string)![1]!;
  return {
    baseUrl,
    prefix,
    process: admin,
    async api(method, path, body) {
      const res = await fetch(`${baseUrl}/v1/companies${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: res.status === 204 ? null : await res.json() };
    },
    async close() {
      await admin.kill('SIGTERM');
      if (!ownsKeys) return;
      const redis = new Redis(REDIS_URL);
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}

export interface BrowserUnderTest {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page PNG as test-artifacts/browser/<suite>-<nn>-<step>.png (the suite's old ones are removed at start). */
  screenshot(step: string, options?: { fullPage?: boolean }): Promise<string>;
  close(): Promise<void>;
}

/** Headless chromium with a fresh, temporary profile; the clipboard is allowed for `origin`. */
export async function startBrowser(suite: string, origin: string): Promise<BrowserUnderTest> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const profile = mkdtempSync(join(tmpdir(), 'oiq-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const file of readdirSync(ARTIFACTS)) if (file.startsWith(`${suite}-`)) rmSync(join(ARTIFACTS, file));
  let shot = 0;
  return {
    context,
    page,
    async screenshot(step, options = {}) {
      const path = join(ARTIFACTS, `${suite}-${String(++shot).padStart(2, '0')}-${step}.png`);
      await page.screenshot({ path, fullPage: options.fullPage ?? true });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in on the page as a user would. */
export async function signIn(page: Page, baseUrl: string, company: string, token = ADMIN_TOKEN): Promise<void> {
  await page.goto(`${baseUrl}/settings/webhooks`);
  await page.getByLabel('Company slug').fill(company);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
