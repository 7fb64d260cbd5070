import { api, ApiError, session } from '../api.ts';
import { currentPlatform, deviceName } from './platform.ts';

/** This browser's registration with the server, kept per browser profile: which device it is, and for whom. */
interface RegisteredDevice {
  deviceId: string;
  userId: string;
  endpoint: string;
  previews: boolean;
}

const DEVICE_KEY = 'twinmcp:push-device';

/** Permission was refused (now or before): only the browser's site settings can undo that. */
export class PushBlockedError extends Error {
  constructor() {
    super('Notifications are blocked for this site in the browser settings.');
  }
}

/** The device registered in this browser for the signed-in person, if any. */
export function registeredDevice(): RegisteredDevice | null {
  try {
    const device = JSON.parse(localStorage.getItem(DEVICE_KEY) ?? 'null') as RegisteredDevice | null;
    return device && device.userId === session.get()?.user.id ? device : null;
  } catch {
    return null;
  }
}

const remember = (device: RegisteredDevice | null) =>
  device ? localStorage.setItem(DEVICE_KEY, JSON.stringify(device)) : localStorage.removeItem(DEVICE_KEY);

/** Asks for permission, subscribes with the deployment's VAPID key and registers the subscription. */
export async function enablePush(previews: boolean): Promise<RegisteredDevice> {
  // Asked first, straight from the click: browsers only show the prompt for a user gesture.
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new PushBlockedError();
  const { data: key } = await api('GET', '/api/devices/push-key');
  const applicationServerKey = base64UrlToBytes(key.publicKey);
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made with another key (the deployment rotated its VAPID keys) cannot be pushed to.
  if (subscription && !sameBytes(subscription.options.applicationServerKey, applicationServerKey)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  return register(subscription, previews);
}

/** Stops pushes to this browser: unsubscribes, and removes the device from the person's devices. */
export async function disablePush(): Promise<void> {
  const device = registeredDevice();
  const registration = await navigator.serviceWorker.getRegistration();
  await (await registration?.pushManager.getSubscription())?.unsubscribe();
  remember(null);
  if (device) await forgetDevice(device.deviceId);
}

/** Signing out: this browser stops receiving the person's notifications; a failure never blocks signing out. */
export async function stopPushOnSignOut(): Promise<void> {
  if (!registeredDevice() || !('serviceWorker' in navigator)) return;
  await disablePush().catch(() => undefined);
}

/** Whether notifications from this device may carry the text of a message. */
export async function setPreviews(previews: boolean): Promise<void> {
  const device = registeredDevice();
  if (!device) return;
  await api('PATCH', '/api/devices/{id}', { params: { id: device.deviceId }, body: { previews } });
  remember({ ...device, previews });
}

/**
 * Registers the browser's current subscription again when it is not the one the server knows (the push
 * service replaced it, see sw.ts › pushsubscriptionchange), and forgets the device when it is gone.
 */
export async function resyncPush(): Promise<void> {
  const device = registeredDevice();
  if (!device || !('serviceWorker' in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  if (subscription?.endpoint === device.endpoint) return;
  if (subscription) await register(subscription, device.previews);
  else remember(null);
  await forgetDevice(device.deviceId);
}

async function register(subscription: PushSubscription, previews: boolean): Promise<RegisteredDevice> {
  const platform = currentPlatform();
  const json = subscription.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
  const { data } = await api('POST', '/api/devices', {
    body: {
      kind: 'webpush',
      subscription: { endpoint: json.endpoint, keys: json.keys },
      name: deviceName(platform.userAgent, platform.maxTouchPoints),
      previews,
    },
  });
  const device = { deviceId: data.id, userId: session.get()?.user.id ?? '', endpoint: json.endpoint, previews: data.previews };
  remember(device);
  return device;
}

/** Removes a device on the server; one already gone (removed elsewhere, or after a 410) is fine. */
async function forgetDevice(deviceId: string): Promise<void> {
  await api('DELETE', '/api/devices/{id}', { params: { id: deviceId } }).catch((error: unknown) => {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  });
}

function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(value.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

function sameBytes(buffer: ArrayBuffer | null, bytes: Uint8Array): boolean {
  if (!buffer) return false;
  const other = new Uint8Array(buffer);
  return other.length === bytes.length && other.every((byte, index) => byte === bytes[index]);
}
