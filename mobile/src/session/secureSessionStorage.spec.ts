import type { Session } from '../api/types';
import { secureSessionStorage } from './secureSessionStorage';

// expo-secure-store's native module (Keychain, Keystore) does not exist in Node: an in-memory store
// with the same functions stands in, so what is tested is how the app splits and reads the session.
const mockEntries = new Map<string, { value: string; options: unknown }>();
jest.mock('expo-secure-store', () => ({
  AFTER_FIRST_UNLOCK_THIS_DEVICE_ONLY: 'AFTER_FIRST_UNLOCK_THIS_DEVICE_ONLY',
  getItemAsync: async (key: string) => mockEntries.get(key)?.value ?? null,
  setItemAsync: async (key: string, value: string, options: unknown) => void mockEntries.set(key, { value, options }),
  deleteItemAsync: async (key: string) => void mockEntries.delete(key),
}));

const session: Session = {
  accessToken: 'header.payload.signature',
  refreshToken: 'refresh-token',
  tokenType: 'Bearer',
  expiresIn: 900,
  user: { id: '00000000-0000-4000-8000-000000000001', email: 'sam@example.test', name: 'Sam', createdAt: '2026-01-01T00:00:00.000Z' },
};

beforeEach(() => mockEntries.clear());

describe('the session in secure storage', () => {
  it('reads back what it saved, each token in its own entry, kept on this device only', async () => {
    await secureSessionStorage.save(session);

    expect(await secureSessionStorage.load()).toEqual(session);
    expect(mockEntries.get('twinmcp.refreshToken')).toEqual({
      value: 'refresh-token',
      options: { keychainAccessible: 'AFTER_FIRST_UNLOCK_THIS_DEVICE_ONLY' },
    });
    expect(mockEntries.get('twinmcp.sessionMeta')?.value).not.toContain('refresh-token');
  });

  it('reads a half-written or cleared session as signed out', async () => {
    await secureSessionStorage.save(session);
    mockEntries.delete('twinmcp.accessToken');
    expect(await secureSessionStorage.load()).toBeNull();

    await secureSessionStorage.save(session);
    await secureSessionStorage.clear();
    expect(await secureSessionStorage.load()).toBeNull();
    expect(mockEntries.size).toBe(0);
  });
});
