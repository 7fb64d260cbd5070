import * as Notifications from 'expo-notifications';
import { conversationOfNotification } from './registerForPush';

/**
 * Calls `open` with the conversation of every message notification the person taps, the one whose tap
 * launched the app included. Returns the unsubscribe.
 */
export function listenForNotificationTaps(open: (conversationId: string) => void): () => void {
  const handle = (response: Notifications.NotificationResponse | null) => {
    const conversationId = response && conversationOfNotification(response);
    if (conversationId) open(conversationId);
  };
  handle(Notifications.getLastNotificationResponse());
  const subscription = Notifications.addNotificationResponseReceivedListener(handle);
  return () => subscription.remove();
}
