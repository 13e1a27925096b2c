import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { signIn, startAdmin, startBrowser, type AdminUnderTest, type BrowserUnderTest } from '../../src/browser.js';
import { startPipeline, type Pipeline } from '../../src/harness.js';

// "Send a test dial" end to end: the page calls the admin app (a real process), whose producer
// publishes on the pipeline's prefix; the batcher and sender (processes too) deliver it to a real HTTPS
// receiver. The delivery is then checked with the snippets as the page shows them.
const COMPANY = 'acme-test-dial';
let pipeline: Pipeline;
let admin: AdminUnderTest;
let browser: BrowserUnderTest;
const scratch = mkdtempSync(join(tmpdir(), 'oiq-snippets-'));

beforeAll(async () => {
  pipeline = await startPipeline('browser-dial');
  admin = await startAdmin('browser-dial', pipeline.prefix, false);
  browser = await startBrowser('test-dial', admin.baseUrl);
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await admin?.close();
  await pipeline?.close();
  rmSync(scratch, { recursive: true, force: true });
});

it('delivers a test dial to the receiver, signed so the page\'s own snippets verify it', async () => {
  const { page } = browser;
  await signIn(page, admin.baseUrl, COMPANY);
  await page.getByText('No webhooks yet').waitFor();
  await page.getByLabel('Name').fill('Local receiver');
  await page.getByLabel('Destination URL').fill(pipeline.receiver.url('/hooks/crm'));
  await page.getByRole('button', { name: 'Create webhook' }).click();
  const secret = await page.getByRole('dialog').getByLabel('Signing secret').inputValue();
  await page.getByRole('button', { name: 'I have saved it' }).click();
  await page.getByRole('button', { name: 'Close it' }).click();

  await page.getByRole('button', { name: 'Send a test dial' }).click();
  await page.getByText('A test dial is on its way').waitFor();
  const [request] = await pipeline.receiver.waitForRequests('/hooks/crm', 1, 15_000);
  await browser.screenshot('sent');

  const body = JSON.parse(request!.body.toString('utf8'));
  expect(body.event).toBe('dial.batch');
  expect(body.dials).toHaveLength(1);
  expect(body.dials[0]).toMatchObject({ companySlug: COMPANY, campaign: 'outboundIQ test dial', callId: expect.stringMatching(/^TEST_/) });

  const header = request!.headers['x-outboundiq-signature'] as string;
  const nodeSnippet = await page.locator('pre[data-snippet="Node.js"]').innerText();
  const pythonSnippet = await page.locator('pre[data-snippet="Python"]').innerText();
  writeFileSync(join(scratch, 'verify.mjs'), `${nodeSnippet}\nexport { verifySignature };\n`);
  const { verifySignature } = (await import(pathToFileURL(join(scratch, 'verify.mjs')).href)) as { verifySignature: (b: Buffer, h: string, s: string) => boolean };
  expect(verifySignature(request!.body, header, secret)).toBe(true);
  expect(verifySignature(request!.body, header, `${secret}x`)).toBe(false);

  const check = `${pythonSnippet}\nimport sys\nprint(verify_signature(open(sys.argv[1], "rb").read(), sys.argv[2], sys.argv[3]))\n`;
  writeFileSync(join(scratch, 'verify.py'), check);
  writeFileSync(join(scratch, 'body.json'), request!.body);
  expect(execFileSync('python3', [join(scratch, 'verify.py'), join(scratch, 'body.json'), header, secret], { encoding: 'utf8' }).trim()).toBe('True');
});

it('says so, and sends nothing, for a disabled webhook', async () => {
  const { page } = browser;
  await page.getByRole('switch', { name: 'Enabled' }).click();
  await page.getByText('is disabled: it receives nothing').waitFor();
  await page.getByRole('button', { name: 'Send a test dial' }).click();
  await page.getByText('“Local receiver” is disabled, so no test dial was sent. Enable it first.').waitFor();
  await browser.screenshot('disabled');
  expect(pipeline.receiver.requestsTo('/hooks/crm')).toHaveLength(1);
});
