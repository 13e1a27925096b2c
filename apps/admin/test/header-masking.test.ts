import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { maskHeaderValue } from '@outboundiq/core';
import fc from 'fast-check';
import { AUTH, createHarness, validWebhook, type Harness } from './harness.js';

/**
 * The masked round trip (CONTRACT section 3) as a page does it: read the webhook (values masked),
 * send its headers back with some values replaced, some names dropped, some added; the sender then
 * gets exactly the values kept and the new ones.
 */
let h: Harness;
beforeAll(() => {
  h = createHarness('masking');
});
afterAll(async () => {
  await h.close();
});

const COMPANY = 'acme-masking';
const base = `/v1/companies/${COMPANY}/webhooks`;
const NAMES = ['X-Api-Key', 'Authorization', 'X-Tenant', 'x-crm-token', 'X-A', 'X-B'];
// Any value a header may hold (tab, printable ASCII, U+0080-U+00FF), short and long.
const value = fc.string({
  unit: fc.oneof(fc.constant(0x09), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const headerSet = fc.dictionary(fc.constantFrom(...NAMES), value, { maxKeys: 4 });
const edit = fc.record({ keep: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), replace: fc.array(fc.option(value), { minLength: 6, maxLength: 6 }), added: headerSet });

it('masks every value in every answer, and PATCH with masked values keeps them, for any values', async () => {
  await fc.assert(
    fc.asyncProperty(headerSet, edit, async (original, { keep, replace, added }) => {
      const created = await h.app.inject({ method: 'POST', url: base, headers: AUTH, payload: validWebhook({ headers: original }) });
      expect(created.statusCode).toBe(201);
      const id = created.json().id as string;
      const masked = Object.fromEntries(Object.entries(original).map(([n, v]) => [n, maskHeaderValue(v)]));
      expect(created.json().headers).toEqual(masked);
      const shown = (await h.app.inject({ method: 'GET', url: `${base}/${id}`, headers: AUTH })).json().headers as Record<string, string>;
      expect(shown).toEqual(masked);

      // Back as shown, each kept as is, replaced, or dropped; plus new names.
      const sent: Record<string, string> = {};
      const expected: Record<string, string> = {};
      Object.keys(shown).forEach((name, i) => {
        if (!keep[i]) return;
        const fresh = replace[i];
        sent[name] = fresh ?? shown[name]!;
        expected[name] = fresh ?? original[name]!;
      });
      for (const [name, v] of Object.entries(added)) {
        if (Object.keys(sent).some((n) => n.toLowerCase() === name.toLowerCase())) continue;
        sent[name] = v;
        expected[name] = v;
      }
      const patched = await h.app.inject({ method: 'PATCH', url: `${base}/${id}`, headers: AUTH, payload: { headers: sent } });
      expect(patched.statusCode).toBe(200);
      expect(patched.json().headers).toEqual(Object.fromEntries(Object.entries(expected).map(([n, v]) => [n, maskHeaderValue(v)])));
      expect((await h.store.loadForDelivery(COMPANY, id))!.webhook.headers).toEqual(expected);
      await h.app.inject({ method: 'DELETE', url: `${base}/${id}`, headers: AUTH });
    }),
    { numRuns: 60 },
  );
});

it('refuses a masked value under a name with nothing stored, naming headers.<name>, and changes nothing', async () => {
  const created = await h.app.inject({ method: 'POST', url: base, headers: AUTH, payload: validWebhook({ headers: { 'X-Api-Key': 'a-long-api-key-1234' } }) });
  const id = created.json().id as string;
  const cases: [Record<string, string>, string][] = [
    [{ 'X-Api-Key': '••••1234', 'X-New': '••••' }, 'headers.X-New'],
    [{ 'X-Api-Key': '••••9999' }, 'headers.X-Api-Key'],
  ];
  for (const [headers, field] of cases) {
    const res = await h.app.inject({ method: 'PATCH', url: `${base}/${id}`, headers: AUTH, payload: { headers } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', details: [{ field }] });
    expect(res.json().error.message).toContain(field);
  }
  const create = await h.app.inject({ method: 'POST', url: base, headers: AUTH, payload: validWebhook({ headers: { 'X-Api-Key': '••••1234' } }) });
  expect(create.statusCode).toBe(400);
  expect(create.json().error.details).toEqual([{ field: 'headers.X-Api-Key', message: expect.any(String) }]);
  expect((await h.store.loadForDelivery(COMPANY, id))!.webhook.headers).toEqual({ 'X-Api-Key': 'a-long-api-key-1234' });
});
