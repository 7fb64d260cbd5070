import type { Session } from '../api/types';

/**
 * Where the signed-in session lives between launches. On a phone that is the platform's secure storage
 * (secureSessionStorage.ts: the Keychain, the Android Keystore); tests use memorySessionStorage, since
 * those native stores do not exist in Node.
 */
export interface SessionStorage {
  /** The stored session, or null when nobody is signed in. */
  load(): Promise<Session | null>;
  save(session: Session): Promise<void>;
  clear(): Promise<void>;
}

/** A session kept in memory only: for tests, and a stand-in nowhere else. */
export function memorySessionStorage(initial: Session | null = null): SessionStorage {
  let stored = initial;
  return {
    load: async () => stored,
    save: async (session) => void (stored = session),
    clear: async () => void (stored = null),
  };
}
