import https from 'node:https';
import { isIP } from 'node:net';
import webpush, { WebPushError } from 'web-push';
import { isPrivateAddress } from '../net/isPrivateAddress.ts';
import { publicOnlyLookup } from '../net/publicOnlyLookup.ts';
import type { VapidDetails } from './vapidKeys.ts';

/** A browser's push subscription as the Push API hands it out. */
export interface WebPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** How a push ended: delivered, or the subscription is gone for good (404/410) and should be forgotten. */
export type WebPushOutcome = { delivered: true; status: number } | { delivered: false; gone: true; status: number };

/** A push the push service refused for good (a 4xx other than 404/410/429): retrying cannot help. */
export class PushRejectedError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`the push service refused the push: ${status} ${body.slice(0, 200)}`);
    this.name = 'PushRejectedError';
  }
}

export interface SendOptions {
  vapid: VapidDetails;
  /** host or host:port entries on private addresses pushes may still reach (PUSH_PRIVATE_HOSTS). */
  privateHosts: readonly string[];
  /** How long the push service is given to answer. */
  timeoutMs: number;
  /** Seconds the push service keeps the push for an offline device. */
  ttlSeconds: number;
  urgency?: 'very-low' | 'low' | 'normal' | 'high';
  /** Pushes with the same topic replace one another while undelivered (e.g. one per conversation). */
  topic?: string;
}

/** Refuses, at connect time, a push service whose name resolves to a private address. */
const publicOnlyAgent = new https.Agent({
  keepAlive: true,
  lookup: publicOnlyLookup((hostname) => new Error(`the push endpoint's host ${hostname} resolves to a private address`)),
});
/** For the hosts an operator named in PUSH_PRIVATE_HOSTS: an ordinary agent. */
const privateHostAgent = new https.Agent({ keepAlive: true });

/**
 * Sends one Web Push: the payload encrypted for the subscription (RFC 8291, aes128gcm) and signed
 * with VAPID (RFC 8292) by the `web-push` library, over HTTPS. 404 and 410 mean the browser dropped the
 * subscription: reported as `gone`. 429 and 5xx throw (retry later); any other refusal throws
 * PushRejectedError (do not retry).
 */
export async function sendWebPush(subscription: WebPushSubscription, payload: unknown, options: SendOptions): Promise<WebPushOutcome> {
  const isAllowedPrivate = isPrivateHostAllowed(subscription.endpoint, options.privateHosts);
  // A literal address is connected to without a lookup, so publicOnlyAgent would not see it.
  const host = new URL(subscription.endpoint).hostname.replace(/^\[|\]$/g, '');
  if (!isAllowedPrivate && isIP(host) && isPrivateAddress(host)) throw new PushRejectedError(403, `${host} is a private address`);
  const agent = isAllowedPrivate ? privateHostAgent : publicOnlyAgent;
  try {
    const result = await webpush.sendNotification(subscription, JSON.stringify(payload), {
      vapidDetails: options.vapid,
      TTL: options.ttlSeconds,
      urgency: options.urgency ?? 'normal',
      ...(options.topic ? { topic: options.topic } : {}),
      timeout: options.timeoutMs,
      agent,
      contentEncoding: 'aes128gcm',
    });
    return { delivered: true, status: result.statusCode };
  } catch (error) {
    if (!(error instanceof WebPushError)) throw error;
    if (error.statusCode === 404 || error.statusCode === 410) return { delivered: false, gone: true, status: error.statusCode };
    if (error.statusCode === 429 || error.statusCode >= 500) throw error;
    throw new PushRejectedError(error.statusCode, error.body);
  }
}

/** Whether the endpoint's host (and port) is one PUSH_PRIVATE_HOSTS names. */
export function isPrivateHostAllowed(endpoint: string, privateHosts: readonly string[]): boolean {
  const url = new URL(endpoint);
  const host = url.hostname.toLowerCase();
  const hostAndPort = `${host}:${url.port || '443'}`;
  return privateHosts.some((entry) => entry === host || entry === hostAndPort);
}
