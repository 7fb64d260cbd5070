import AsyncStorage from '@react-native-async-storage/async-storage';
import Constants from 'expo-constants';
import { randomUUID } from 'expo-crypto';
import { Share } from 'react-native';
import { ApiClient } from './api/ApiClient';
import type { AppServices } from './AppServices';
import { netInfoConnectivity } from './offline/netInfoConnectivity';
import { listenForNotificationTaps } from './push/notificationTaps';
import { registerForPush } from './push/registerForPush';
import { secureSessionStorage } from './session/secureSessionStorage';

/** The servers this build talks to: app.json › extra (set per build profile; see README). */
function serverUrls(): { apiUrl: string; collabUrl: string } {
  const extra = (Constants.expoConfig?.extra ?? {}) as { apiUrl?: string; collabUrl?: string };
  return { apiUrl: extra.apiUrl ?? 'http://localhost:3000', collabUrl: extra.collabUrl ?? 'ws://localhost:1234' };
}

/** The app on a phone: secure storage, AsyncStorage, NetInfo, the system share sheet, Expo push. */
export function defaultServices(): AppServices {
  const { apiUrl, collabUrl } = serverUrls();
  return {
    api: new ApiClient({ baseUrl: apiUrl, storage: secureSessionStorage }),
    collabUrl,
    connectivity: netInfoConnectivity(),
    storage: AsyncStorage,
    newKey: randomUUID,
    shareSheet: (content) => Share.share(content),
    registerForPush: (api) => registerForPush(api, randomUUID),
    onNotificationTap: listenForNotificationTaps,
  };
}
