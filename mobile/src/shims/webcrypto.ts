import { getRandomValues } from 'expo-crypto';

/**
 * What lib0 (Yjs's utility library) imports on React Native: `isomorphic-webcrypto/src/react-native`,
 * for random client ids. That package pulls in native modules of its own; metro.config.js sends the
 * import here instead, to expo-crypto's cryptographically secure getRandomValues. lib0 needs no `subtle`.
 */
export default {
  ensureSecure: (): void => undefined,
  subtle: undefined,
  getRandomValues: <T extends ArrayBufferView>(array: T): T => getRandomValues(array as unknown as Uint8Array) as unknown as T,
};
