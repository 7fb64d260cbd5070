import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express, { type RequestHandler } from 'express';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { createLogger } from '@shared/logger.ts';
import { serveWebClient, WEB_DIST_DIR } from '../rest-api/middleware/webClient.ts';
import {
  addWorkspaceMember,
  bearer,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  registerUser,
} from '../test/factories.ts';
import { waitUntil } from '../test/jobs.ts';
import { deviceName, pushSupport, type Platform } from '../web/src/pwa/platform.ts';
import { appPath, isLookingAt, parsePushPayload } from '../web/src/pwa/pushPayload.ts';
import { startPushService, type PushServiceStandIn, type StandInSubscription } from '../test/standIns/pushService.ts';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, DESKTOP, ensureWebClientBuilt, startStack, type Stack } from './harness.ts';
import { signIn } from './pages.ts';

const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

/** Waits until the service worker controls the page: from then on it answers the page's navigations. */
const controlled = (page: Page) => page.waitForFunction(() => navigator.serviceWorker.controller !== null);

/** The app's own frame (not Chromium's "No internet" page): brand in the top bar, the app's title. */
async function showsAppShell(page: Page): Promise<void> {
  await page.locator('.topbar .brand').waitFor();
  expect(await page.title()).toBe('TwinMCP Collab');
}

/**
 * The web client as an installed app, in real Chromium against the real servers: the manifest and its
 * icons, the service worker that keeps the shell available offline and offers a new version, and Web
 * Push from the settings switch to a notification on screen.
 */
describe('the installable web client in Chromium', () => {
  let push: PushServiceStandIn;
  let stack: Stack;

  beforeAll(async () => {
    push = await startPushService();
    stack = await startStack({ env: { PUSH_PRIVATE_HOSTS: push.host } });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await push?.close();
  });

  it('links a valid web app manifest whose icons load', async () => {
    const page = await stack.openPage();
    await page.goto('/login');
    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
    expect(await page.locator('meta[name="theme-color"]').getAttribute('content')).toBe('#4f46e5');
    const appleIcon = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');

    const manifestResponse = await page.request.get(manifestHref!);
    expect(manifestResponse.headers()['content-type']).toMatch(/^application\/manifest\+json/);
    const manifest = (await manifestResponse.json()) as Record<string, unknown> & {
      icons: Array<{ src: string; sizes: string; type: string; purpose?: string }>;
    };
    expect(manifest).toMatchObject({
      name: 'TwinMCP Collab',
      short_name: 'TwinMCP',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      theme_color: '#4f46e5',
      background_color: '#f6f7fb',
    });
    expect(manifest.icons.map(({ sizes, purpose }) => `${sizes} ${purpose}`).sort()).toEqual([
      '192x192 any',
      '512x512 any',
      '512x512 maskable',
    ]);
    for (const icon of [...manifest.icons, { src: appleIcon!, sizes: '180x180', type: 'image/png' }]) {
      const response = await page.request.get(icon.src);
      expect(response.status()).toBe(200);
      expect(response.headers()['content-type']).toBe(icon.type);
      const { width, height } = await sharp(await response.body()).metadata();
      expect(`${width}x${height}`).toBe(icon.sizes);
    }
  });

  it('installs a service worker that controls the app and opens it offline, at / and at a conversation', async () => {
    const user = await registerUser(stack.app, { name: 'Ada' });
    const conversation = await createConversation(stack.app, user, 'Train notes');
    const page = await stack.openPage();
    await signIn(page, user, `/c/${conversation.id}`);
    await controlled(page);
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.scriptURL)).toBe(
      `${stack.baseUrl}/sw.js`,
    );

    await page.context().setOffline(true);
    await page.reload();
    await showsAppShell(page);
    await page.goto('/');
    await showsAppShell(page);
    await page.goto(`/c/${conversation.id}`);
    await showsAppShell(page);
    // The API is never answered from a cache: offline, it fails as the network does.
    expect(await page.evaluate(() => fetch('/api/conversations').then(String, (error: Error) => error.name))).toBe('TypeError');
    const cachedApiUrls = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) urls.push(...(await (await caches.open(name)).keys()).map((request) => request.url));
      return urls.filter((url) => new URL(url).pathname.startsWith('/api/'));
    });
    expect(cachedApiUrls).toEqual([]);
    await page.context().setOffline(false);
  });

  it('registers this browser for notifications from the settings, pushes to it, and shows the notification', async () => {
    const alice = await registerUser(stack.app, { name: 'Alice' });
    const bob = await registerUser(stack.app, { name: 'Bob' });
    const workspace = await createWorkspace(stack.app, alice);
    await addWorkspaceMember(stack.app, workspace.id, bob, 'member');
    const conversation = await createWorkspaceConversation(stack.app, alice, workspace.id, 'Launch plan');

    // Headless Chromium has no push service to subscribe with (its subscribe() answers "permission denied"
    // with nothing to reach), so the browser's pushManager hands out a subscription of the loopback push
    // service instead; everything after that (the settings UI, the API, encryption, delivery) is real.
    const subscription = push.subscribe();
    const context = await stack.newContext(DESKTOP);
    context.setDefaultTimeout(10_000);
    await context.grantPermissions(['notifications']);
    await context.addInitScript(stubPushManager, subscription);
    const page = await context.newPage();
    await signIn(page, bob, '/');
    await controlled(page);
    const shown = await watchNotifications(context);

    await page.getByText('Settings').click();
    await page.getByRole('switch', { name: 'Notifications on this device' }).check();
    await page.getByText('New messages in your conversations, invitations and used-up share links arrive here as notifications.').waitFor();
    const devices = async () => (await stack.app.request.get('/api/devices').set(bearer(bob))).body.data as Array<Record<string, unknown>>;
    expect(await devices()).toMatchObject([{ kind: 'webpush', name: 'Chrome on Linux', previews: false }]);

    await page.getByRole('checkbox', { name: 'Show message text in notifications' }).check();
    await waitUntil('previews allowed on the device', async () => (await devices())[0]?.previews === true);

    await stack.app.request
      .post(`/api/conversations/${conversation.id}/messages`)
      .set(bearer(alice))
      .send({ role: 'user', content: 'Ship it on Friday' });
    const received = await push.waitFor((pushed) => pushed.subscriptionId === subscription.id);
    expect(received.payload).toMatchObject({ type: 'message', title: 'Launch plan', url: `/c/${conversation.id}` });

    // What the push service decrypted reaches the service worker as a push event would.
    await deliverPush(context, page, stack.baseUrl, received.payload);
    await waitUntil('the notification on screen', async () => (await shown.list()).length > 0);
    expect(await shown.list()).toEqual([
      { title: 'Launch plan', body: expect.stringContaining('Ship it on Friday'), tag: conversation.id, url: `/c/${conversation.id}` },
    ]);

    // Nothing is shown for the conversation on screen in a focused window; other conversations still are.
    await shown.clear();
    await page.goto(`/c/${conversation.id}`);
    await page.bringToFront();
    await deliverPush(context, page, stack.baseUrl, received.payload);
    const elsewhere = { type: 'message', title: 'Another conversation', body: 'New message', url: '/c/another', conversationId: 'another' };
    await deliverPush(context, page, stack.baseUrl, elsewhere);
    await waitUntil('the other notification on screen', async () => (await shown.list()).length > 0);
    expect((await shown.list()).map(({ title }) => title)).toEqual(['Another conversation']);

    // Turning it off unsubscribes and removes the device.
    await page.getByText('Settings').click();
    await page.getByRole('switch', { name: 'Notifications on this device' }).uncheck();
    await waitUntil('the device removed', async () => (await devices()).length === 0);
    expect(await page.evaluate(() => localStorage.getItem('e2e-push-subscription'))).toBeNull();

    // Signing out stops this person's notifications on this browser too.
    await page.getByRole('switch', { name: 'Notifications on this device' }).check();
    await waitUntil('the device registered again', async () => (await devices()).length === 1);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    expect(await devices()).toEqual([]);
    await context.close();
  });

  it('says when notifications are blocked in the browser settings', async () => {
    const user = await registerUser(stack.app);
    const page = await stack.openPage();
    await signIn(page, user, '/');
    await controlled(page);
    await page.getByText('Settings').click();
    // Headless Chromium refuses the permission prompt, as someone who chose Block would.
    await page.getByRole('switch', { name: 'Notifications on this device' }).click();
    await page.getByText('Notifications are blocked for this site in your browser settings.').waitFor();
    expect(await page.getByRole('switch', { name: 'Notifications on this device' }).isChecked()).toBe(false);
    expect((await stack.app.request.get('/api/devices').set(bearer(user))).body.data).toEqual([]);
  });

  it('tells someone on an iPhone in a browser tab to add the app to the Home Screen for notifications', async () => {
    const user = await registerUser(stack.app);
    const context = await stack.browser.newContext({
      baseURL: stack.baseUrl,
      userAgent: IPHONE_SAFARI,
      viewport: { width: 390, height: 844 },
    });
    const page = await context.newPage();
    await signIn(page, user, '/');
    await page.getByText('Settings').click();
    await page.getByText('On iPhone and iPad, notifications work once you add TwinMCP Collab to your Home Screen').waitFor();
    expect(await page.getByRole('switch', { name: 'Notifications on this device' }).isDisabled()).toBe(true);
    await context.close();
  });
});

describe('a new version of the installed app', () => {
  let server: http.Server;
  let baseUrl: string;
  let dists: string[];
  let current: RequestHandler;
  let deploySecondBuild: () => void;

  beforeAll(async () => {
    ensureWebClientBuilt();
    const log = createLogger({ LOG_LEVEL: 'silent', LOG_PRETTY: false });
    // Two deployments of the same build, the second with a changed service worker that says which it is.
    dists = ['1', '2'].map((build) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `twinmcp-web-build-${build}-`));
      fs.cpSync(WEB_DIST_DIR, dir, { recursive: true });
      fs.appendFileSync(
        path.join(dir, 'sw.js'),
        `\nself.addEventListener('message', (event) => { if (event.data === 'build?') event.source.postMessage('build ${build}'); });\n`,
      );
      return dir;
    });
    const handlers = dists.map((dir) => serveWebClient({ COLLAB_PUBLIC_URL: undefined, COLLAB_PORT: 9 }, log, dir));
    current = handlers[0]!;
    const app = express()
      .use((req, res, next) => current(req, res, next))
      .use((_req, res) => res.status(404).json({ error: { code: 'not_found', message: 'Not found' } }));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    deploySecondBuild = () => (current = handlers[1]!);
  }, 120_000);
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    for (const dir of dists ?? []) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('offers "A new version is available — Reload" and reloads once into it', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS, headless: true });
    try {
      const page = await browser.newPage({ baseURL: baseUrl });
      page.setDefaultTimeout(10_000);
      await page.goto('/login');
      await controlled(page);
      // Controlled as soon as the worker claims the page, while it may still be activating: the update
      // check below must find the first version settled, as it is for anyone an hour later.
      await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated');
      expect(await askBuild(page)).toBe('build 1');

      deploySecondBuild();
      let loads = 0;
      page.on('load', () => loads++);
      await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
      const prompt = page.getByRole('status').filter({ hasText: 'A new version is available' });
      // Installing the new version precaches it: allow a loaded machine its time.
      await prompt.waitFor({ timeout: 30_000 });
      // It waits for the person: the old version still answers until Reload.
      expect(await askBuild(page)).toBe('build 1');

      const reloaded = page.waitForEvent('load');
      await prompt.getByRole('button', { name: 'Reload' }).click();
      await reloaded;
      await controlled(page);
      expect(await askBuild(page)).toBe('build 2');
      expect(await prompt.count()).toBe(0);
      expect(loads).toBe(1);
    } finally {
      await browser.close();
    }
  });
});

/** Asks the service worker controlling the page which build it is. */
function askBuild(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        navigator.serviceWorker.addEventListener('message', (event) => resolve(String(event.data)), { once: true });
        navigator.serviceWorker.controller!.postMessage('build?');
      }),
  );
}

/** Runs in the page before its scripts: a PushManager that hands out the stand-in's subscription. */
function stubPushManager(subscription: StandInSubscription): void {
  const STORE = 'e2e-push-subscription';
  const keyBytes = (value: string) =>
    Uint8Array.from(
      atob(
        value
          .replace(/-/g, '+')
          .replace(/_/g, '/')
          .padEnd(Math.ceil(value.length / 4) * 4, '='),
      ),
      (char) => char.charCodeAt(0),
    );
  const asSubscription = (applicationServerKey: string) => ({
    endpoint: subscription.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: keyBytes(applicationServerKey).buffer },
    toJSON: () => ({ endpoint: subscription.endpoint, expirationTime: null, keys: subscription.keys }),
    unsubscribe: async () => {
      localStorage.removeItem(STORE);
      return true;
    },
  });
  PushManager.prototype.getSubscription = async function () {
    const key = localStorage.getItem(STORE);
    return (key ? asSubscription(key) : null) as unknown as PushSubscription;
  };
  PushManager.prototype.subscribe = async function (options?: PushSubscriptionOptionsInit) {
    const bytes = new Uint8Array(options!.applicationServerKey as Uint8Array);
    const key = btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    localStorage.setItem(STORE, key);
    return asSubscription(key) as unknown as PushSubscription;
  };
}

/** Delivers a push message to the page's service worker through the DevTools protocol. */
async function deliverPush(context: BrowserContext, page: Page, origin: string, payload: unknown): Promise<void> {
  const cdp = await context.newCDPSession(page);
  const registrations = new Promise<string>((resolve) =>
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: list }) => {
      const live = list.find((registration) => !registration.isDeleted && registration.scopeURL === `${origin}/`);
      if (live) resolve(live.registrationId);
    }),
  );
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: await registrations, data: JSON.stringify(payload) });
  await cdp.detach();
}

interface ShownNotification {
  title: string;
  body: string | undefined;
  tag: string | undefined;
  url: unknown;
}

/**
 * Records every notification the app's service worker asks the browser to show. Headless Chromium
 * resolves showNotification() and yet now and then leaves the notification out of getNotifications()
 * (4–10 in 80 in a loop), so the test watches the worker's request instead of the browser's list.
 */
async function watchNotifications(context: BrowserContext): Promise<{ list(): Promise<ShownNotification[]>; clear(): Promise<void> }> {
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  await worker.evaluate(() => {
    const scope = self as unknown as { registration: ServiceWorkerRegistration; shownNotifications: ShownNotification[] };
    const show = scope.registration.showNotification.bind(scope.registration);
    scope.shownNotifications = [];
    scope.registration.showNotification = (title: string, options?: NotificationOptions) => {
      scope.shownNotifications.push({
        title,
        body: options?.body,
        tag: options?.tag,
        url: (options?.data as { url?: unknown } | undefined)?.url,
      });
      return show(title, options);
    };
  });
  return {
    list: () => worker.evaluate(() => (self as unknown as { shownNotifications: ShownNotification[] }).shownNotifications),
    clear: () =>
      worker.evaluate(() => void ((self as unknown as { shownNotifications: ShownNotification[] }).shownNotifications.length = 0)),
  };
}

describe('what the app decides about push without a browser', () => {
  const platform = (userAgent: string, extra: Partial<Platform> = {}): Platform => ({
    userAgent,
    maxTouchPoints: 0,
    isStandaloneSafari: false,
    isDisplayModeStandalone: false,
    hasServiceWorker: true,
    hasPushManager: true,
    hasNotification: true,
    ...extra,
  });
  const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
  const IPAD_AS_MAC =
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';

  it.each([
    ['Chrome on Linux', CHROME_LINUX, {}, 'supported'],
    ['Safari on an iPhone, in a tab', IPHONE_SAFARI, { hasPushManager: false }, 'ios-needs-home-screen'],
    ['Safari on an iPhone, from the Home Screen', IPHONE_SAFARI, { isStandaloneSafari: true }, 'supported'],
    ['Safari on an iPad that calls itself a Mac, in a tab', IPAD_AS_MAC, { maxTouchPoints: 5 }, 'ios-needs-home-screen'],
    ['Safari on a Mac', IPAD_AS_MAC, {}, 'supported'],
    ['a browser without push', CHROME_LINUX, { hasPushManager: false }, 'unsupported'],
  ] as const)('%s', (_what, userAgent, extra, expected) => {
    expect(pushSupport(platform(userAgent, extra))).toBe(expected);
  });

  it('names devices after the browser and the system', () => {
    expect(deviceName(CHROME_LINUX)).toBe('Chrome on Linux');
    expect(deviceName(IPHONE_SAFARI)).toBe('Safari on iPhone');
    expect(deviceName(IPAD_AS_MAC, 5)).toBe('Safari on iPad');
    expect(deviceName('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36 Edg/124.0')).toBe(
      'Edge on Windows',
    );
    expect(deviceName('Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0')).toBe('Firefox on Android');
  });

  it('never lets a push send a tap to another site', () => {
    const origin = 'https://collab.example.com';
    expect(appPath('/c/abc', origin)).toBe('/c/abc');
    expect(appPath('https://collab.example.com/c/abc?x=1', origin)).toBe('/c/abc?x=1');
    expect(appPath('https://evil.example/phish', origin)).toBe('/');
    expect(appPath('//evil.example/phish', origin)).toBe('/');
    expect(appPath('javascript:alert(1)', origin)).toBe('/');
  });

  it('treats only a focused window on that very conversation as already looking', () => {
    const origin = 'https://collab.example.com';
    const payload = parsePushPayload(JSON.stringify({ type: 'message', title: 'T', body: 'B', url: '/c/abc', conversationId: 'abc' }))!;
    expect(isLookingAt({ url: `${origin}/c/abc`, focused: true }, payload, origin)).toBe(true);
    expect(isLookingAt({ url: `${origin}/c/abc/`, focused: true }, payload, origin)).toBe(true);
    expect(isLookingAt({ url: `${origin}/c/abc`, focused: false }, payload, origin)).toBe(false);
    expect(isLookingAt({ url: `${origin}/c/abcd`, focused: true }, payload, origin)).toBe(false);
    expect(isLookingAt({ url: `${origin}/`, focused: true }, payload, origin)).toBe(false);
    expect(parsePushPayload('not json')).toBeNull();
    expect(parsePushPayload(JSON.stringify({ title: 1 }))).toBeNull();
  });
});
