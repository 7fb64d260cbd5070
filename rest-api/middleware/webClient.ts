import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type RequestHandler } from 'express';
import type { Config } from '@shared/config.ts';
import type { Logger } from '@shared/logger.ts';

/** Where `npm run build:web` (and `npm install`, through postinstall) writes the browser client. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** The placeholder in web/index.html that the server fills with the collaboration server's URL. */
const COLLAB_URL_META = /<meta name="collab-url" content="[^"]*"\s*\/?>/;

/**
 * Serves the built web client: its hashed assets, and `index.html` for every other GET that a browser
 * navigates to (the client routes on the path), so `/share/<id>` or `/invite?token=` open the app.
 * `/api/*` and requests that do not ask for HTML fall through to the JSON 404. It is middleware, not a
 * route, so the OpenAPI completeness check does not count it as API.
 */
export function serveWebClient(
  config: Pick<Config, 'COLLAB_PUBLIC_URL' | 'COLLAB_PORT'>,
  log: Logger,
  distDir = WEB_DIST_DIR,
): RequestHandler {
  const indexFile = path.join(distDir, 'index.html');
  if (!fs.existsSync(indexFile)) {
    log.warn({ distDir }, 'web client not built (run npm run build:web): only the API is served');
    return (_req, _res, next) => next();
  }
  const indexHtml = fs.readFileSync(indexFile, 'utf8');
  // Only vite's output under assets/ carries a content hash in its name, so only it may be cached for good.
  // Everything else at the top (sw.js, manifest.webmanifest, icons) keeps its name across builds and is
  // revalidated on every use: a service worker cached for a year would never let a new version arrive.
  const hashedAssets = express.static(distDir, { index: false, maxAge: '1y', immutable: true, fallthrough: true });
  const namedFiles = express.static(distDir, {
    index: false,
    cacheControl: false,
    fallthrough: true,
    setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
  });
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isApiPath(req.path)) return next();
    const sendIndex = () => {
      const html = indexHtml.replace(COLLAB_URL_META, `<meta name="collab-url" content="${escapeAttribute(collabUrlFor(req, config))}">`);
      res.set('Cache-Control', 'no-cache').type('html').send(html);
    };
    // The service worker precaches /index.html as the offline shell: it gets the page as filled in for a
    // browser, never the raw file with an empty collab URL.
    if (req.path === '/index.html') return sendIndex();
    const files = req.path.startsWith('/assets/') ? hashedAssets : namedFiles;
    files(req, res, () => {
      if (!req.get('accept')?.includes('text/html')) return next();
      sendIndex();
    });
  };
}

const isApiPath = (urlPath: string) => urlPath === '/api' || urlPath.startsWith('/api/');

/** COLLAB_PUBLIC_URL, or the host the browser used with COLLAB_PORT (wss behind https). */
function collabUrlFor(req: Request, config: Pick<Config, 'COLLAB_PUBLIC_URL' | 'COLLAB_PORT'>): string {
  if (config.COLLAB_PUBLIC_URL) return config.COLLAB_PUBLIC_URL;
  const host = req.hostname.includes(':') && !req.hostname.startsWith('[') ? `[${req.hostname}]` : req.hostname;
  return `${req.secure ? 'wss' : 'ws'}://${host}:${config.COLLAB_PORT}`;
}

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
