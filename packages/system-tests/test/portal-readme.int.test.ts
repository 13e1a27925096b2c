import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readerEnv, runToEnd } from '@outboundiq/testkit';
import { ADMIN_TOKEN, startAdmin, type AdminUnderTest } from '../src/browser.js';

// The README's call that opens the Settings page for a customer, run as written against the built
// admin app (only its address, localhost:3000, is this test's own port).
const README_CALL = `curl -sS -X POST http://localhost:3000/v1/companies/acme/portal-sessions -H "Authorization: Bearer $ADMIN_API_TOKEN" -H 'Content-Type: application/json' -d '{"ttlSeconds": 3600}'`;
let admin: AdminUnderTest;

beforeAll(async () => {
  admin = await startAdmin('portal-readme', undefined, true, { PUBLIC_URL: 'http://localhost:3000' });
}, 30_000);
afterAll(async () => {
  await admin?.close();
});

it("runs the README's portal-session call: a token, its url and expiry, and the token opens acme's webhooks", async () => {
  const command = README_CALL.replace('http://localhost:3000', admin.baseUrl);
  const { code, stdout, output } = await runToEnd(command, { env: readerEnv({ ADMIN_API_TOKEN: ADMIN_TOKEN }) });
  expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  const answer = JSON.parse(stdout) as { token: string; url: string; expiresAt: string };
  expect(answer.url).toBe(`http://localhost:3000/settings/webhooks#session=${answer.token}`);
  expect(Date.parse(answer.expiresAt) - Date.now()).toBeGreaterThan(3_500_000);
  const list = await fetch(`${admin.baseUrl}/v1/companies/acme/webhooks`, { headers: { authorization: `Bearer ${answer.token}` } });
  expect(list.status).toBe(200);
  expect(await list.json()).toEqual({ webhooks: [] });
});
