/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { PUSH_SUBSCRIPTION_CHANGED, SKIP_WAITING } from './pwa/messages.ts';
import { isLookingAt, notificationFor, parsePushPayload } from './pwa/pushPayload.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<string | { url: string; revision: string | null }> };

/** Where the built shell lives in the precache; the server writes the collab URL into it when it is fetched. */
const SHELL_URL = '/index.html';

// Navigations go to the network first, so the page always carries what the server writes into it (the
// collaboration server's URL); only when the network fails does the precached shell answer, and the app
// routes on the path as usual. The API is never answered from here, and nothing from it is ever cached.
registerRoute(
  new NavigationRoute(
    async ({ request }) => {
      try {
        return await fetch(request);
      } catch {
        return (await matchPrecache(SHELL_URL)) ?? Response.error();
      }
    },
    { denylist: [/^\/api(\/|$)/] },
  ),
);

// The built files (hashed scripts, styles, icons, the shell), with the revisions vite-plugin-pwa computed.
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// The first install takes the open pages at once (they work offline without a reload); a later version
// waits until the person chooses Reload in the app's prompt, which sends SKIP_WAITING.
clientsClaim();

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === SKIP_WAITING) void self.skipWaiting();
});

self.addEventListener('push', (event) => {
  const payload = parsePushPayload(event.data?.text());
  if (!payload) return;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      // The person is reading that conversation right now: the message is already on their screen.
      if (windows.some((client) => isLookingAt(client, payload, self.location.origin))) return;
      const { title, options } = notificationFor(payload, self.location.origin);
      await self.registration.showNotification(title, options);
    })(),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL((event.notification.data as { url?: string } | null)?.url ?? '/', self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((client) => client.url === target) ?? windows[0];
      if (!open) {
        await self.clients.openWindow(target);
        return;
      }
      const focused = await open.focus();
      if (focused.url === target) return;
      // navigate() only works on pages this worker controls; anything else gets a window of its own.
      const navigated = await focused.navigate(target).catch(() => null);
      if (!navigated) await self.clients.openWindow(target);
    })(),
  );
});

// The push service replaced or dropped the subscription: subscribe again with the same VAPID key, and
// tell open pages, which register the new subscription with the server (only they hold a session).
self.addEventListener('pushsubscriptionchange', (event) => {
  const change = event as Event & { oldSubscription?: PushSubscription | null; waitUntil(promise: Promise<unknown>): void };
  change.waitUntil(
    (async () => {
      const applicationServerKey = change.oldSubscription?.options.applicationServerKey;
      if (applicationServerKey) {
        await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey }).catch(() => undefined);
      }
      for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
        client.postMessage({ type: PUSH_SUBSCRIPTION_CHANGED });
      }
    })(),
  );
});
