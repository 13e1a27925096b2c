import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The Settings -> Webhooks page, bundled whole (no CDN) into apps/admin/dist/web, which the admin
// app serves at /settings/webhooks (src/routes/settings-page.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/settings/webhooks/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Fetched from this origin only; a separate request for a few hundred bytes is not worth it.
    assetsInlineLimit: 0,
  },
});
