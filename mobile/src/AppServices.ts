import { createContext, useContext } from 'react';
import type { ApiClient } from './api/ApiClient';
import type { Connectivity } from './offline/Connectivity';
import type { KeyValueStorage } from './offline/Outbox';

/** The system share sheet's call (React Native's Share.share), as the share screen uses it. */
export type ShareSheet = (content: { message: string; url: string; title: string }) => Promise<unknown>;

/**
 * Everything the screens use that touches the outside world. The app builds it from the native
 * modules (defaultServices.ts); tests build it from the real servers on loopback and in-memory
 * stand-ins for what only exists on a phone (secure storage, AsyncStorage, NetInfo, push).
 */
export interface AppServices {
  api: ApiClient;
  /** `wss://…` of the collab server. */
  collabUrl: string;
  connectivity: Connectivity;
  /** AsyncStorage on a phone: the outbox and the local copies of documents. */
  storage: KeyValueStorage;
  /** A fresh Idempotency-Key (a UUID). */
  newKey: () => string;
  /** React Native's WebSocket unless given (tests give Node's). */
  WebSocket?: unknown;
  /** Milliseconds between collab reconnect attempts. */
  reconnectDelayMs?: number;
  shareSheet: ShareSheet;
  /** Asks for notification permission and registers this install's Expo push token; absent where there is no push (tests). */
  registerForPush?: (api: ApiClient) => Promise<void>;
  /** Calls `open` when the person taps a message notification; returns the unsubscribe. Absent where there is no push. */
  onNotificationTap?: (open: (conversationId: string) => void) => () => void;
}

export const AppServicesContext = createContext<AppServices | null>(null);

export function useAppServices(): AppServices {
  const services = useContext(AppServicesContext);
  if (!services) throw new Error('useAppServices: no AppServicesContext above this screen');
  return services;
}
