import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ApiClient } from '../src/api/ApiClient';
import type { Session } from '../src/api/types';
import type { AppServices } from '../src/AppServices';
import { ConversationRoom } from '../src/collab/ConversationRoom';
import { manualConnectivity, type ManualConnectivity } from '../src/offline/Connectivity';
import { memoryKeyValueStorage } from '../src/offline/Outbox';
import { memorySessionStorage, type SessionStorage } from '../src/session/SessionStorage';
import { realFetch } from './nodeFetch';
import { uniqueEmail, type Product } from './product';

/** What a test builds the app from, and the handles it drives: the network switch, the share sheet. */
export interface TestServices extends AppServices {
  connectivity: ManualConnectivity;
  sessionStorage: SessionStorage;
  storage: ReturnType<typeof memoryKeyValueStorage>;
  /** Every call the share screen made to the system share sheet. */
  shared: Array<{ message: string; url: string; title: string }>;
}

/**
 * The app's services on the real product. Stand-ins, each for a native module Node does not have:
 * the session in memory instead of expo-secure-store, a Map instead of AsyncStorage, a switch instead
 * of NetInfo, a recorder instead of the share sheet, no push. The API, the collab server, the
 * WebSocket (ws, what React Native's WebSocket is to the server) and fetch are real.
 */
export function testServices(product: Product, options: { session?: Session | null; fetch?: typeof fetch } = {}): TestServices {
  const sessionStorage = memorySessionStorage(options.session ?? null);
  const shared: TestServices['shared'] = [];
  return {
    api: new ApiClient({ baseUrl: product.apiUrl, storage: sessionStorage, fetch: options.fetch ?? realFetch }),
    collabUrl: product.collabUrl,
    connectivity: manualConnectivity(true),
    storage: memoryKeyValueStorage(),
    sessionStorage,
    newKey: randomUUID,
    WebSocket,
    reconnectDelayMs: 100,
    shared,
    shareSheet: async (content) => void shared.push(content),
  };
}

/** Someone else, at their own device: signed in through the API. */
export interface OtherPerson {
  api: ApiClient;
  session: Session;
  /** Opens the conversation live, as a second collab client. */
  openRoom(conversationId: string): ConversationRoom;
}

/** Registers a person through the API and signs them in on an ApiClient of their own. */
export async function registerPerson(
  product: Product,
  name: string,
  password = 'correct horse battery staple',
): Promise<OtherPerson & { email: string; password: string }> {
  const api = new ApiClient({ baseUrl: product.apiUrl, storage: memorySessionStorage(), fetch: realFetch });
  const email = uniqueEmail(name.toLowerCase());
  const session = await api.register(name, email, password);
  return {
    api,
    session,
    email,
    password,
    openRoom: (conversationId) =>
      new ConversationRoom({
        url: product.collabUrl,
        conversationId,
        token: () => api.freshAccessToken(),
        user: { id: session.user.id, name, color: '#000000' },
        connectivity: manualConnectivity(true),
        WebSocket,
        reconnectDelayMs: 100,
      }),
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes: no fixed sleeps. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
