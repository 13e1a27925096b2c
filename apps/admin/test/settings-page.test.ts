import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHarness, type Harness } from './harness.js';

// A stand-in for the built bundle (apps/admin/dist/web); the real one is exercised in a browser by
// packages/system-tests/test/browser.
const webRoot = mkdtempSync(join(tmpdir(), 'oiq-web-'));
mkdirSync(join(webRoot, 'assets'));
writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Webhooks</title><script type="module" src="/settings/webhooks/assets/index-abc123.js"></script>');
writeFileSync(join(webRoot, 'assets', 'index-abc123.js'), 'document.title = "ok";');
writeFileSync(join(webRoot, 'assets', 'index-abc123.css'), 'body { margin: 0 }');
writeFileSync(join(webRoot, 'secret.txt'), 'not an asset');

let h: Harness;
let bare: Harness;
let framed: Harness;
beforeAll(() => {
  h = createHarness('page', { webRoot });
  bare = createHarness('page-none');
  framed = createHarness('page-framed', { webRoot, frameAncestors: ['https://app.outboundiq.example', 'https://*.crm.example'] });
});
afterAll(async () => {
  await Promise.all([h.close(), bare.close(), framed.close()]);
  rmSync(webRoot, { recursive: true, force: true });
});

describe('the Settings -> Webhooks page', () => {
  it('may be framed only by PORTAL_FRAME_ANCESTORS', async () => {
    for (const url of ['/settings/webhooks', '/settings/webhooks/assets/index-abc123.js']) {
      const res = await framed.app.inject({ method: 'GET', url });
      expect(res.headers['content-security-policy']).toMatch(/; frame-ancestors https:\/\/app\.outboundiq\.example https:\/\/\*\.crm\.example(;|$)/);
    }
  });

  it('serves the page without a token (its API calls carry one), locked down by a CSP', async () => {
    for (const url of ['/settings/webhooks', '/settings/webhooks/']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.body).toContain('/settings/webhooks/assets/index-abc123.js');
    }
  });

  it('serves the hashed assets with their type, cached for good', async () => {
    const js = await h.app.inject({ method: 'GET', url: '/settings/webhooks/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await h.app.inject({ method: 'GET', url: '/settings/webhooks/assets/index-abc123.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for anything not in the bundle, traversal included', async () => {
    for (const url of [
      '/settings/webhooks/assets/nope.js',
      '/settings/webhooks/assets/..%2Fsecret.txt',
      '/settings/webhooks/assets/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/settings/webhooks/assets/../secret.txt',
    ]) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.body).not.toContain('not an asset');
      expect([401, 404]).toContain(res.statusCode);
    }
  });

  it('leaves everything else behind the token', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/settings/other' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/v1/companies/acme-page/webhooks' })).statusCode).toBe(401);
  });

  it('is not served when the app is built without it', async () => {
    expect((await bare.app.inject({ method: 'GET', url: '/settings/webhooks' })).statusCode).toBe(401);
  });
});
