import type { Expo, ExpoPushTicket } from 'expo-server-sdk';
import type { Config } from '../config.ts';
import { PushRejectedError } from './sendWebPush.ts';

/** How an Expo push ended: accepted by Expo (its ticket id), or the app was uninstalled and the token should be forgotten. */
export type ExpoPushOutcome = { delivered: true; ticketId: string } | { delivered: false; gone: true };

/** What an app notification shows and carries. */
export interface ExpoNotification {
  title: string;
  body: string;
  /** Read by the app when the notification is tapped (`url` opens the conversation). */
  data: Record<string, unknown>;
  /** Notifications with the same id replace one another on the device (one per conversation). */
  collapseId?: string;
}

let client: Promise<Expo> | undefined;

/**
 * One Expo client per process, through the official `expo-server-sdk`. The SDK takes its base URL from
 * the environment once, when it loads, and nowhere else: EXPO_PUSH_URL is handed to it there (a push
 * service stand-in in tests, Expo's own by default).
 */
function expoClient(config: Pick<Config, 'EXPO_PUSH_URL' | 'EXPO_ACCESS_TOKEN'>): Promise<Expo> {
  client ??= (async () => {
    // eslint-disable-next-line n/no-process-env -- the only way expo-server-sdk takes its base URL
    process.env.EXPO_BASE_URL = config.EXPO_PUSH_URL;
    const { Expo } = await import('expo-server-sdk');
    return new Expo({ ...(config.EXPO_ACCESS_TOKEN ? { accessToken: config.EXPO_ACCESS_TOKEN } : {}), maxConcurrentRequests: 4 });
  })();
  return client;
}

/**
 * Sends one notification to an app install through Expo's push API. `DeviceNotRegistered` (the app was
 * removed) reports `gone`; Expo being unreachable or busy throws once the SDK's own retries are spent
 * (retry later); any other refusal throws PushRejectedError (do not retry).
 */
export async function sendExpoPush(
  token: string,
  notification: ExpoNotification,
  config: Pick<Config, 'EXPO_PUSH_URL' | 'EXPO_ACCESS_TOKEN'>,
): Promise<ExpoPushOutcome> {
  const expo = await expoClient(config);
  const [ticket]: ExpoPushTicket[] = await expo.sendPushNotificationsAsync([
    {
      to: token,
      title: notification.title,
      body: notification.body,
      data: notification.data,
      sound: 'default',
      priority: 'high',
      ...(notification.collapseId ? { collapseId: notification.collapseId, threadId: notification.collapseId } : {}),
    },
  ]);
  if (!ticket) throw new Error('Expo answered no ticket for the push');
  if (ticket.status === 'ok') return { delivered: true, ticketId: ticket.id };
  if (ticket.details?.error === 'DeviceNotRegistered') return { delivered: false, gone: true };
  if (ticket.details?.error === 'MessageRateExceeded') throw new Error(`Expo: ${ticket.message}`);
  throw new PushRejectedError(400, `${ticket.details?.error ?? 'error'}: ${ticket.message}`);
}
