import { randomUUID } from 'node:crypto';
import type { Conversation, Message } from '../api/types';
import { lossyFetch } from '../../test/nodeFetch';
import { startProduct, type Product } from '../../test/product';
import { registerPerson, waitUntil } from '../../test/testServices';
import { ApiClient } from '../api/ApiClient';
import { memorySessionStorage } from '../session/SessionStorage';
import { manualConnectivity } from './Connectivity';
import { memoryKeyValueStorage, Outbox, type NewAction, type OutboxOptions } from './Outbox';
import { MAX_RETRY_MS, outcomeOf, retryDelayMs } from './outboxRules';

let product: Product;
const outboxes: Outbox[] = [];
beforeAll(async () => {
  product = await startProduct();
});
afterEach(() => outboxes.splice(0).forEach((outbox) => outbox.stop()));
afterAll(async () => {
  await product?.stop();
});

/** A person, one of their conversations, and a phone (its storage and network) to send from. */
async function phoneWithConversation() {
  const person = await registerPerson(product, 'Noor');
  const conversation: Conversation = await person.api.createConversation('Notes');
  const network = lossyFetch();
  const api = new ApiClient({ baseUrl: product.apiUrl, storage: memorySessionStorage(person.session), fetch: network.fetch });
  await api.restore();
  const phone = { storage: memoryKeyValueStorage(), connectivity: manualConnectivity(true) };
  const start = (options: Partial<OutboxOptions> = {}) => {
    const outbox = new Outbox({
      userId: person.session.user.id,
      ...phone,
      send: (action) => api.call('POST', action.path, { body: action.body, idempotencyKey: action.key }),
      // No jitter, and the shortest waits: the test waits on what was sent, not on the clock.
      random: () => 0,
      ...options,
    });
    outboxes.push(outbox);
    return outbox;
  };
  const message = (content: string): NewAction => ({
    kind: 'message',
    path: `/api/conversations/${conversation.id}/messages`,
    body: { role: 'user', content },
    conversationId: conversation.id,
    summary: content,
  });
  const onServer = async () => (await person.api.listMessages(conversation.id)).map((m: Message) => m.content);
  return { person, conversation, network, phone, start, message, onServer };
}

describe('the outbox against the real API', () => {
  it('keeps what was written offline through a restart of the app, then sends it once, in order', async () => {
    const { phone, start, message, onServer } = await phoneWithConversation();
    phone.connectivity.set(false);
    const before = start();
    await before.add(message('first'), randomUUID());
    await before.add(message('second'), randomUUID());
    before.stop(); // The app is closed.

    phone.connectivity.set(true);
    const after = start();
    expect((await after.actions()).map((action) => action.summary)).toEqual(['first', 'second']);
    await after.retryNow();

    await waitUntil(async () => (await after.actions()).length === 0, 'the outbox emptied');
    expect(await onServer()).toEqual(['first', 'second']);
  });

  it('retries with the same key when answers are lost, and the server keeps one copy', async () => {
    const { network, start, message, onServer } = await phoneWithConversation();
    network.loseNextAnswer('POST', /\/messages$/);
    network.loseNextAnswer('POST', /\/messages$/);
    const outbox = start();

    await outbox.add(message('exactly once'), randomUUID());

    await waitUntil(async () => (await outbox.actions()).length === 0, 'the outbox emptied');
    expect(network.lost).toHaveLength(2);
    expect(await onServer()).toEqual(['exactly once']);
  });

  it('marks an action failed, not retried, when its key was already used for another message (422)', async () => {
    const { start, message, onServer } = await phoneWithConversation();
    const outbox = start();
    const key = randomUUID();
    await outbox.add(message('original'), key);
    await waitUntil(async () => (await outbox.actions()).length === 0, 'the first was sent');

    await outbox.add(message('something else'), key);

    await waitUntil(async () => (await outbox.actions()).some((action) => action.failure), 'the second was refused');
    const [refused] = await outbox.actions();
    expect(refused?.failure).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    expect(await onServer()).toEqual(['original']);
  });
});

describe('the outbox rules', () => {
  it('backs off exponentially with jitter, up to a cap, never below Retry-After', () => {
    expect([0, 1, 2, 3].map((attempt) => retryDelayMs(attempt, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(retryDelayMs(3, () => 1)).toBe(8000);
    expect(retryDelayMs(30, () => 1)).toBe(MAX_RETRY_MS);
    expect(retryDelayMs(0, () => 0, 5)).toBe(5000);
  });

  it('retries what may pass later and gives up on what never will', () => {
    const refusal = (status: number, code = 'x') => outcomeOf({ status, code, message: '' }).kind;
    expect([refusal(0), refusal(401), refusal(429), refusal(503), refusal(409, 'idempotency_key_in_progress')]).toEqual(
      Array(5).fill('retry'),
    );
    expect([refusal(400), refusal(403), refusal(404), refusal(409, 'conflict'), refusal(422)]).toEqual(Array(5).fill('failed'));
    expect(refusal(409, 'idempotency_key_answer_lost')).toBe('done');
  });
});
