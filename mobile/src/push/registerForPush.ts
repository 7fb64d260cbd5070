import Constants from 'expo-constants';
import * as Notifications from 'expo-notifications';
import { Platform } from 'react-native';
import type { ApiClient } from '../api/ApiClient';

/**
 * Asks for permission (once; the system remembers the answer), then registers this install's Expo push
 * token with `POST /api/devices { kind: 'expo', token }`. The server sends through Expo's push API; a
 * token the server already has is answered with the same device. Push needs a real device and an EAS
 * project id (app.json › extra.eas.projectId): in a simulator or Expo Go without one it does nothing.
 */
export async function registerForPush(api: ApiClient, newKey: () => string): Promise<void> {
  // Notifications that arrive while the app is open are shown too, without a sound.
  Notifications.setNotificationHandler({
    handleNotification: async () => ({ shouldShowBanner: true, shouldShowList: true, shouldPlaySound: false, shouldSetBadge: false }),
  });
  if (Platform.OS === 'android') {
    await Notifications.setNotificationChannelAsync('messages', { name: 'Messages', importance: Notifications.AndroidImportance.DEFAULT });
  }
  const existing = await Notifications.getPermissionsAsync();
  const { granted } = existing.granted ? existing : await Notifications.requestPermissionsAsync();
  if (!granted) return;
  const projectId = (Constants.expoConfig?.extra as { eas?: { projectId?: string } } | undefined)?.eas?.projectId;
  if (!projectId) return;
  const { data: token } = await Notifications.getExpoPushTokenAsync({ projectId });
  await api.registerPushToken(token, `${Constants.deviceName ?? Platform.OS} (app)`, newKey());
}

/** The conversation a tapped notification is about (the server puts its id in the payload's data). */
export function conversationOfNotification(response: Notifications.NotificationResponse): string | undefined {
  const data = response.notification.request.content.data as { conversationId?: unknown } | undefined;
  return typeof data?.conversationId === 'string' ? data.conversationId : undefined;
}
