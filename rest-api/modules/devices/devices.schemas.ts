import { z } from 'zod';
import { IdParam, Text } from '../../http/schemas.ts';

/** base64url (padding allowed, as some browsers add it) decoding to exactly `bytes` bytes. */
const base64UrlOf = (bytes: number, what: string) =>
  z
    .string()
    .regex(/^[\w-]+={0,2}$/, `must be base64url (${what})`)
    .refine((value) => Buffer.from(value, 'base64url').length === bytes, `must decode to ${bytes} bytes (${what})`);

const WebPushSubscription = z
  .object({
    endpoint: z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(2_048),
    expirationTime: z.number().nullable().optional(),
    keys: z.object({
      p256dh: base64UrlOf(65, 'an uncompressed P-256 public key'),
      auth: base64UrlOf(16, 'the 16-byte auth secret'),
    }),
  })
  .describe("What the browser's `PushSubscription.toJSON()` returns");

/** What the app's `getExpoPushTokenAsync()` returns. */
const ExpoPushToken = z
  .string()
  .max(200)
  .regex(/^Expo(nent)?PushToken\[[\w-]+\]$/, 'must be an Expo push token, ExponentPushToken[…]');

const DeviceSettings = {
  name: Text().trim().max(100).optional().describe('How the device is listed, e.g. "Firefox on the laptop"'),
  previews: z.boolean().default(false).describe('Whether notifications may show the text of a message; off by default'),
};

export const RegisterDeviceSchema = z.object({
  body: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('webpush'), subscription: WebPushSubscription, ...DeviceSettings }),
    z.strictObject({ kind: z.literal('expo'), token: ExpoPushToken.describe('The app install’s Expo push token'), ...DeviceSettings }),
  ]),
});

export const DeviceIdSchema = z.object({ params: z.object({ id: IdParam }) });

export const UpdateDeviceSchema = z.object({
  params: z.object({ id: IdParam }),
  body: z.strictObject({
    name: Text().trim().max(100).optional(),
    previews: z.boolean().optional(),
  }),
});

export const DeviceSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(['webpush', 'expo']),
    name: z.string(),
    previews: z.boolean(),
    /** The push service's origin only: the full endpoint is a capability to push to the device. */
    pushService: z.string().describe("The push service's origin (e.g. https://fcm.googleapis.com); the endpoint itself is never shown"),
    createdAt: z.iso.datetime(),
    lastPushedAt: z.iso.datetime().nullable().describe('When a push last reached its push service; null if never'),
  })
  .meta({ id: 'Device' });

export const PushKeySchema = z
  .object({
    publicKey: z.string().describe('The VAPID public key (base64url): `applicationServerKey` for `pushManager.subscribe`'),
  })
  .meta({ id: 'PushKey' });
