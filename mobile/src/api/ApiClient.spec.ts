import { realFetch, urlOf } from '../../test/nodeFetch';
import { startProduct, type Product } from '../../test/product';
import { registerPerson, waitUntil } from '../../test/testServices';
import { memorySessionStorage } from '../session/SessionStorage';
import { ApiClient, expiryOf } from './ApiClient';
import { ApiError } from './ApiError';

// Access tokens that lapse after a second, so expiry happens within a test.
let product: Product;
beforeAll(async () => {
  product = await startProduct({ ACCESS_TOKEN_TTL_SECONDS: '1' });
});
afterAll(async () => {
  await product?.stop();
});

/** fetch, with a record of every request's method, path and answer status. */
function recordingFetch(): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetch: async (input, init) => {
      const res = await realFetch(input, init);
      calls.push(`${init?.method ?? 'GET'} ${new URL(urlOf(input)).pathname} ${res.status}`);
      return res;
    },
  };
}

/** Waits until the server would call this access token expired. */
const waitForExpiry = (token: string) => waitUntil(() => Date.now() / 1000 > (expiryOf(token) ?? 0) + 0.5, 'the access token lapsed');

describe('push registration', () => {
  it('registers the install’s Expo push token as a device of the person', async () => {
    const person = await registerPerson(product, 'Pia');

    const device = await person.api.registerPushToken('ExponentPushToken[abcDEF123_-xyz]', 'Pia’s phone (app)', 'push-key-1');

    expect(device).toMatchObject({ kind: 'expo', name: 'Pia’s phone (app)', previews: false });
    const listed = await person.api.call<{ data: Array<{ id: string; kind: string }> }>('GET', '/api/devices');
    expect(listed.data.map(({ id, kind }) => ({ id, kind }))).toEqual([{ id: device.id, kind: 'expo' }]);
  });

  it('unregisters the push token when the phone signs out, so its notifications stop', async () => {
    const person = await registerPerson(product, 'Rui');
    const phone = new ApiClient({ baseUrl: product.apiUrl, storage: memorySessionStorage(), fetch: realFetch });
    await phone.signIn(person.email, person.password);
    await phone.registerPushToken('ExponentPushToken[phoneOfRui]', 'phone');

    await phone.signOut();

    const listed = await person.api.call<{ data: unknown[] }>('GET', '/api/devices');
    expect(listed.data).toEqual([]);
  });

  it('refuses something that is not an Expo push token', async () => {
    const person = await registerPerson(product, 'Quin');
    const error = await person.api.registerPushToken('not-a-token', 'phone').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
  });
});

describe('token refresh with rotation', () => {
  it('refreshes an expired access token when the server refuses it, retries the call, and spends the old refresh token', async () => {
    const person = await registerPerson(product, 'Ada');
    const { fetch, calls } = recordingFetch();
    const storage = memorySessionStorage(person.session);
    // A margin of 0 and a clock running a minute late: the client believes the token is fresh, the server does not.
    const api = new ApiClient({ baseUrl: product.apiUrl, storage, fetch, expiryMarginMs: 0, now: () => Date.now() - 60_000 });
    await api.restore();
    await waitForExpiry(person.session.accessToken);

    await expect(api.listWorkspaces()).resolves.toEqual([]);

    expect(calls).toEqual(['GET /api/workspace 401', 'POST /api/auth/refresh 200', 'GET /api/workspace 200']);
    const rotated = await storage.load();
    expect(rotated?.refreshToken).not.toBe(person.session.refreshToken);
    // The spent refresh token is refused: replaying it is what a thief would do.
    const replay = await realFetch(`${product.apiUrl}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refreshToken: person.session.refreshToken }),
    });
    expect(replay.status).toBe(401);
  });

  it('refreshes ahead of expiry, once for many calls at the same time', async () => {
    const person = await registerPerson(product, 'Grace');
    const { fetch, calls } = recordingFetch();
    const api = new ApiClient({ baseUrl: product.apiUrl, storage: memorySessionStorage(person.session), fetch });
    await api.restore();

    await Promise.all([api.listConversations(), api.listWorkspaces(), api.listConversations()]);

    expect(calls.filter((call) => call.startsWith('POST /api/auth/refresh'))).toEqual(['POST /api/auth/refresh 200']);
    expect(calls.filter((call) => call.endsWith(' 401'))).toEqual([]);
  });

  it('ends the session when the refresh token was revoked by signing out everywhere', async () => {
    const person = await registerPerson(product, 'Linus');
    const phone = new ApiClient({
      baseUrl: product.apiUrl,
      storage: memorySessionStorage(person.session),
      fetch: realFetch,
      expiryMarginMs: 0,
    });
    await phone.restore();
    const signedOut: unknown[] = [];
    phone.onSessionChange((session) => signedOut.push(session));

    await person.api.signOutEverywhere();
    await waitForExpiry(person.session.accessToken);

    const error = await phone.listConversations().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(phone.currentSession()).toBeNull();
    expect(signedOut).toEqual([null]);
  });
});
