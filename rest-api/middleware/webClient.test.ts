import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { createLogger } from '@shared/logger.ts';
import { serveWebClient } from './webClient.ts';

/** A built client as vite and vite-plugin-pwa lay it out: hashed assets, and files whose names never change. */
const DIST_FILES: Record<string, string> = {
  'index.html': '<!doctype html><html><head><meta name="collab-url" content="" /></head><body><div id="app"></div></body></html>',
  'assets/index-Ab12Cd34.js': 'console.log("app")',
  'sw.js': 'self.addEventListener("fetch", () => {})',
  'manifest.webmanifest': '{"name":"TwinMCP Collab"}',
  'icons/icon-192.png': 'not really a png',
};

describe('serving the installable web client', () => {
  let distDir: string;
  let app: express.Express;

  beforeAll(() => {
    distDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinmcp-web-dist-'));
    for (const [file, content] of Object.entries(DIST_FILES)) {
      fs.mkdirSync(path.dirname(path.join(distDir, file)), { recursive: true });
      fs.writeFileSync(path.join(distDir, file), content);
    }
    const log = createLogger({ LOG_LEVEL: 'silent', LOG_PRETTY: false });
    app = express().use(serveWebClient({ COLLAB_PUBLIC_URL: 'wss://collab.example.com', COLLAB_PORT: 1234 }, log, distDir));
  });
  afterAll(() => fs.rmSync(distDir, { recursive: true, force: true }));

  it('serves the service worker as JavaScript that browsers revalidate, so a new version is found', async () => {
    const res = await request(app).get('/sw.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toBe(DIST_FILES['sw.js']);
  });

  it('serves the web app manifest as application/manifest+json, revalidated', async () => {
    const res = await request(app).get('/manifest.webmanifest');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/manifest\+json/);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('revalidates icons, whose names do not change between builds', async () => {
    const res = await request(app).get('/icons/icon-192.png');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('still caches hashed assets for a year', async () => {
    const res = await request(app).get('/assets/index-Ab12Cd34.js');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('gives the offline shell (/index.html, fetched by the service worker with any Accept) the collab URL, uncached', async () => {
    const res = await request(app).get('/index.html').set('Accept', '*/*');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toContain('<meta name="collab-url" content="wss://collab.example.com">');
  });

  it('answers an app route a browser navigates to with the filled-in page', async () => {
    const res = await request(app).get('/c/123').set('Accept', 'text/html');
    expect(res.status).toBe(200);
    expect(res.text).toContain('content="wss://collab.example.com"');
  });
});
