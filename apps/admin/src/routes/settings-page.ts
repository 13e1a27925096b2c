import { readFile, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { notFound } from '../errors.js';

export const SETTINGS_PAGE_PATH = '/settings/webhooks';

export interface SettingsPageOptions {
  /** The built page (apps/admin/dist/web): index.html and assets/. */
  webRoot: string;
  /** PORTAL_FRAME_ANCESTORS: origins that may frame the page; none by default. */
  frameAncestors?: readonly string[];
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

// Everything the page loads is its own bundle; its only requests are to this origin's API. Who
// may frame it is PORTAL_FRAME_ANCESTORS (outboundIQ's app), nobody by default.
const contentSecurityPolicy = (frameAncestors: readonly string[]) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors.length === 0 ? "'none'" : frameAncestors.join(' ')}`,
  ].join('; ');

interface Asset {
  body: Buffer;
  type: string;
}

/**
 * The Settings -> Webhooks page. Its files are public: they hold no data, and every API call the
 * page makes carries the admin token the user types in, or the portal session of its link. The bundle is a few tens of KB, so it is
 * read once, here; a name not in it is a 404, which also rules out path traversal.
 */
export const settingsPageRoutes: FastifyPluginAsync<SettingsPageOptions> = async (app, { webRoot, frameAncestors = [] }) => {
  const policy = contentSecurityPolicy(frameAncestors);
  const index = await readFile(join(webRoot, 'index.html')).catch(() => null);
  const assets = await loadAssets(join(webRoot, 'assets'));
  const secure = (reply: FastifyReply) =>
    reply
      .header('content-security-policy', policy)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');

  const page = async (_request: unknown, reply: FastifyReply) => {
    if (index === null) throw notFound('settings page (run pnpm build)');
    return secure(reply).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
  };
  app.get(SETTINGS_PAGE_PATH, { config: { public: true } }, page);
  app.get(`${SETTINGS_PAGE_PATH}/`, { config: { public: true } }, page);

  app.get<{ Params: { file: string } }>(`${SETTINGS_PAGE_PATH}/assets/:file`, { config: { public: true } }, async (request, reply) => {
    const asset = assets.get(request.params.file);
    if (asset === undefined) throw notFound('asset');
    // Vite puts a content hash in every asset name: a name never changes content.
    return secure(reply).header('cache-control', 'public, max-age=31536000, immutable').type(asset.type).send(asset.body);
  });
};

async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const type = CONTENT_TYPES[extname(name)];
    if (type !== undefined) assets.set(name, { body: await readFile(join(dir, name)), type });
  }
  return assets;
}
