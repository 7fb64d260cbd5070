import * as SecureStore from 'expo-secure-store';
import type { Session } from '../api/types';
import type { SessionStorage } from './SessionStorage';

// Each token in its own entry: iOS warns above 2 KB a value, and the refresh token is what must never leak.
const ACCESS_KEY = 'twinmcp.accessToken';
const REFRESH_KEY = 'twinmcp.refreshToken';
const META_KEY = 'twinmcp.sessionMeta';

/** The session in expo-secure-store (Keychain on iOS, Keystore-encrypted preferences on Android). */
export const secureSessionStorage: SessionStorage = {
  async load() {
    const [accessToken, refreshToken, meta] = await Promise.all([
      SecureStore.getItemAsync(ACCESS_KEY),
      SecureStore.getItemAsync(REFRESH_KEY),
      SecureStore.getItemAsync(META_KEY),
    ]);
    if (!accessToken || !refreshToken || !meta) return null;
    try {
      const { user, expiresIn } = JSON.parse(meta) as Pick<Session, 'user' | 'expiresIn'>;
      return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn, user };
    } catch {
      return null;
    }
  },
  async save(session) {
    const meta = JSON.stringify({ user: session.user, expiresIn: session.expiresIn });
    // Only this device, only after the first unlock: a backup restored elsewhere carries no session.
    const options = { keychainAccessible: SecureStore.AFTER_FIRST_UNLOCK_THIS_DEVICE_ONLY };
    await SecureStore.setItemAsync(ACCESS_KEY, session.accessToken, options);
    await SecureStore.setItemAsync(REFRESH_KEY, session.refreshToken, options);
    await SecureStore.setItemAsync(META_KEY, meta, options);
  },
  async clear() {
    await Promise.all([ACCESS_KEY, REFRESH_KEY, META_KEY].map((key) => SecureStore.deleteItemAsync(key)));
  },
};
