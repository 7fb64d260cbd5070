import crypto from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';
import { listenOnLoopback } from './listenOnLoopback.ts';

/** One message as Expo's push API received it, with the credentials it came with. */
export interface ReceivedExpoPush {
  to: string;
  title?: string;
  body?: string;
  data?: Record<string, unknown>;
  collapseId?: string;
  authorization: string | undefined;
}

/**
 * Expo's push API (`POST /--/api/v2/push/send`) on loopback, as expo-server-sdk speaks to it: a JSON
 * array of messages, gzipped when large, answered with one ticket per message. `unregister(token)`
 * makes a token answer DeviceNotRegistered, as Expo does once the app is uninstalled; `fail(n)` answers
 * the next n requests 503.
 */
export async function startExpoPushService() {
  const received: ReceivedExpoPush[] = [];
  const unregistered = new Set<string>();
  let failures = 0;
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/--/api/v2/push/send') return void res.writeHead(404).end();
      if (failures > 0) {
        failures--;
        return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE"}]}');
      }
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
      const messages = JSON.parse(body.toString('utf8')) as Array<Omit<ReceivedExpoPush, 'authorization'>>;
      const tickets = messages.map((message) => {
        if (unregistered.has(message.to)) {
          return {
            status: 'error',
            message: `"${message.to}" is not a registered push notification recipient`,
            details: { error: 'DeviceNotRegistered', expoPushToken: message.to },
          };
        }
        received.push({ ...message, authorization: req.headers.authorization });
        return { status: 'ok', id: crypto.randomUUID() };
      });
      waiters.splice(0).forEach((wake) => wake());
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: tickets }));
    });
  });
  const { origin, close } = await listenOnLoopback(server);
  return {
    url: origin,
    received,
    /** A token as an app install's getExpoPushTokenAsync() gives one. */
    newToken: () => `ExponentPushToken[${crypto.randomBytes(11).toString('base64url')}]`,
    unregister: (token: string) => unregistered.add(token),
    fail: (requests: number) => (failures += requests),
    async waitFor(match: (push: ReceivedExpoPush) => boolean): Promise<ReceivedExpoPush> {
      for (;;) {
        const found = received.find(match);
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    close,
  };
}
