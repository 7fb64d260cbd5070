import type { NavigationContainerRefWithCurrent } from '@react-navigation/native';
import * as Notifications from 'expo-notifications';
import { useEffect } from 'react';
import type { RootStackParamList } from '../navigation';
import { conversationOfNotification } from './registerForPush';

/** Tapping a message notification opens its conversation (also when the tap launched the app). */
export function useNotificationTaps(navigation: NavigationContainerRefWithCurrent<RootStackParamList>, isEnabled: boolean): void {
  useEffect(() => {
    if (!isEnabled) return;
    const open = (response: Notifications.NotificationResponse | null) => {
      const conversationId = response && conversationOfNotification(response);
      if (conversationId && navigation.isReady()) navigation.navigate('Conversation', { conversationId, title: '' });
    };
    open(Notifications.getLastNotificationResponse());
    const subscription = Notifications.addNotificationResponseReceivedListener(open);
    return () => subscription.remove();
  }, [navigation, isEnabled]);
}
