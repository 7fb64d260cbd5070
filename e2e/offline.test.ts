import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { bearer, type TestUser } from '../test/factories.ts';
import { afterTry, outcomeOf, retryDelayMs, MAX_RETRY_MS } from '../web/src/offline/outboxRules.ts';
import { peopleInRoom, startStack, type Stack } from './harness.ts';
import { connected, seesText } from './pages.ts';

describe('outbox rules', () => {
  it('waits about twice as long after each failed try, never past the cap, never in lockstep', () => {
    const low = () => 0;
    const high = () => 1;
    expect([0, 1, 2, 3].map((attempt) => retryDelayMs(attempt, high))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([0, 1, 2, 3].map((attempt) => retryDelayMs(attempt, low))).toEqual([500, 1_000, 2_000, 4_000]);
    expect(retryDelayMs(30, high)).toBe(MAX_RETRY_MS);
    expect(retryDelayMs(30, low)).toBe(MAX_RETRY_MS / 2);
    const jittered = new Set(Array.from({ length: 20 }, () => retryDelayMs(3)));
    expect(jittered.size).toBeGreaterThan(1);
  });

  it("waits at least as long as the server's Retry-After", () => {
    expect(retryDelayMs(0, () => 0, 5)).toBe(5_000);
  });

  it('retries what may work later and gives up on refusals that would only repeat', () => {
    const refusal = (status: number, code = 'x') => outcomeOf({ status, code, message: 'm' }).kind;
    expect(refusal(0, 'network_error')).toBe('retry');
    expect(refusal(409, 'idempotency_key_in_progress')).toBe('retry');
    expect(outcomeOf({ status: 409, code: 'idempotency_key_in_progress', message: '', retryAfterSeconds: 1 })).toEqual({
      kind: 'retry',
      retryAfterSeconds: 1,
    });
    expect(refusal(429)).toBe('retry');
    expect(refusal(503)).toBe('retry');
    expect(refusal(500)).toBe('retry');
    expect(refusal(401, 'token_invalid')).toBe('retry');
    expect(refusal(404, 'not_found')).toBe('failed');
    expect(refusal(403, 'forbidden')).toBe('failed');
    expect(refusal(409, 'conflict')).toBe('failed');
    // The first try committed and its answer was lost to a failover: done, never sent again.
    expect(refusal(409, 'idempotency_key_answer_lost')).toBe('done');
    expect(refusal(422, 'idempotency_key_reused')).toBe('failed');
    expect(outcomeOf({ status: 404, code: 'not_found', message: 'Conversation not found' })).toEqual({
      kind: 'failed',
      status: 404,
      code: 'not_found',
      message: 'Conversation not found',
    });
  });

  it('leaves the outbox when done, waits longer after each retry, and keeps a final refusal for the person', () => {
    const waiting = { key: 'k', attempts: 0, nextTryAt: 0 };
    const now = 1_000_000;
    expect(afterTry(waiting, { kind: 'done' }, now)).toBeNull();
    const once = afterTry(waiting, { kind: 'retry' }, now, () => 1)!;
    expect(once).toEqual({ key: 'k', attempts: 1, nextTryAt: now + 1_000 });
    const twice = afterTry(once, { kind: 'retry' }, now, () => 1)!;
    expect(twice).toEqual({ key: 'k', attempts: 2, nextTryAt: now + 2_000 });
    expect(afterTry(twice, { kind: 'retry', retryAfterSeconds: 30 }, now, () => 1)!.nextTryAt).toBe(now + 30_000);
    const refused = afterTry(twice, { kind: 'failed', status: 404, code: 'not_found', message: 'Conversation not found' }, now)!;
    expect(refused).toEqual({ ...twice, failure: { status: 404, code: 'not_found', message: 'Conversation not found' } });
  });
});

/**
 * The offline web client in Chromium against the real servers: a conversation keeps working with the
 * network gone (its document kept on the device, messages waiting in the outbox), and what was written
 * there reaches the others exactly once when the network returns — even when an answer was lost.
 */
describe('offline web client in Chromium', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  const draft = (page: Page) => page.locator('.draft-editor');

  /** The messages the REST API holds with exactly this text. */
  async function storedCopies(reader: TestUser, conversationId: string, content: string): Promise<number> {
    const res = await stack.app.request.get(`/api/conversations/${conversationId}/messages?limit=100`).set(bearer(reader));
    expect(res.status).toBe(200);
    return (res.body.data as Array<{ content: string }>).filter((message) => message.content === content).length;
  }

  /** Messages with this text on the page, sent and pending alike. */
  const shownCopies = (page: Page, content: string) => page.locator('.messages li.message', { hasText: content }).count();

  /** Posts the draft's text as a message. */
  async function post(page: Page, content: string): Promise<void> {
    await draft(page).click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(content);
    await page.getByRole('button', { name: 'Post draft' }).click();
  }

  /** Leaves the conversation for another page of the app and comes back, without reloading. */
  async function reopen(page: Page, conversationId: string): Promise<void> {
    await page.evaluate(() => {
      history.pushState(null, '', '/elsewhere');
      dispatchEvent(new PopStateEvent('popstate'));
    });
    await page.locator('.room').waitFor({ state: 'detached' });
    await page.evaluate((path) => {
      history.pushState(null, '', path);
      dispatchEvent(new PopStateEvent('popstate'));
    }, `/c/${conversationId}`);
    await page.locator('.room').waitFor();
  }

  const localDatabases = (page: Page) => page.evaluate(async () => (await indexedDB.databases()).map(({ name }) => name ?? ''));

  it('keeps a conversation working offline and delivers the edit and exactly one copy of the message after reconnecting', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Ada' }, { name: 'Bob' }], 'Train journey');
    const [ada, bob] = members as [(typeof members)[0], (typeof members)[0]];
    await ada.page.locator('.status[data-saved-on-device="true"]').waitFor();

    await ada.page.context().setOffline(true);
    await ada.page.locator('.status[data-state="offline"]').waitFor();
    await post(ada.page, 'Posted from a tunnel');
    // The message shows at once, as waiting to be sent.
    await ada.page.locator('.message.pending', { hasText: 'Posted from a tunnel' }).getByText('sending…').waitFor();
    await draft(ada.page).click();
    await ada.page.keyboard.type('Edited on the train');
    await seesText(ada.page, '.status', 'changes waiting');
    await seesText(ada.page, '.status', 'saved on this device');

    // Opened again with the network still gone: the document comes from this device and the message
    // from the outbox. A reload needs a service worker serving the app offline; without one, the
    // conversation is closed and opened again within the page.
    const isServedOffline = await ada.page.evaluate(() => Boolean(navigator.serviceWorker?.controller));
    if (isServedOffline) await ada.page.reload();
    else await reopen(ada.page, conversation.id);
    await ada.page.locator('.status[data-state="offline"]').waitFor();
    await seesText(ada.page, '.draft-editor', 'Edited on the train');
    await ada.page.locator('.message.pending', { hasText: 'Posted from a tunnel' }).waitFor();
    await seesText(ada.page, '.status', 'changes waiting');
    expect(await seesText(bob.page, '.draft-editor', 'Edited on the train', { timeout: 500 }).catch(() => 'not yet')).toBe('not yet');

    const backOnline = Date.now();
    await ada.page.context().setOffline(false);
    await seesText(bob.page, '.draft-editor', 'Edited on the train', { timeout: 15_000 });
    const editArrivedMs = Date.now() - backOnline;
    await seesText(bob.page, '.messages', 'Posted from a tunnel', { timeout: 15_000 });
    const messageArrivedMs = Date.now() - backOnline;
    await connected(ada.page);
    await ada.page.locator('.message.pending').waitFor({ state: 'detached' });
    expect(await shownCopies(bob.page, 'Posted from a tunnel')).toBe(1);
    expect(await shownCopies(ada.page, 'Posted from a tunnel')).toBe(1);
    expect(await storedCopies(bob.user, conversation.id, 'Posted from a tunnel')).toBe(1);
    await ada.page.locator('.status[data-state="connected"]', { hasText: /^Connected/ }).waitFor();
    console.info(`offline edit reached the other person ${editArrivedMs} ms, the message ${messageArrivedMs} ms after reconnecting`);
  });

  it('sends a message again after its answer was lost, and the server keeps one copy', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Cleo' }, { name: 'Dan' }], 'Lost answers');
    const [cleo, dan] = members as [(typeof members)[0], (typeof members)[0]];
    const keys: string[] = [];
    const replayed: string[] = [];
    cleo.page.on('response', (response) => {
      if (response.request().method() === 'POST' && response.url().endsWith('/messages'))
        replayed.push(response.headers()['idempotent-replayed'] ?? 'false');
    });
    await cleo.page.route('**/api/conversations/*/messages', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length > 1) return route.continue();
      // The server takes the message and commits it; the answer never reaches the page.
      await route.fetch();
      await route.abort('connectionreset');
    });

    await post(cleo.page, 'Said once');
    await seesText(dan.page, '.messages', 'Said once');
    await cleo.page.locator('.message.pending').waitFor({ state: 'detached', timeout: 15_000 });
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(replayed).toEqual(['true']);
    expect(await storedCopies(dan.user, conversation.id, 'Said once')).toBe(1);
    expect(await shownCopies(cleo.page, 'Said once')).toBe(1);
    expect(await shownCopies(dan.page, 'Said once')).toBe(1);
  });

  it('keeps a message the server could not take through a reload, and sends it when the app starts again', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Ivy' }, { name: 'Jon' }], 'Busy server');
    const [ivy, jon] = members as [(typeof members)[0], (typeof members)[0]];
    let isBusy = true;
    await ivy.page.route('**/api/conversations/*/messages', (route) =>
      isBusy && route.request().method() === 'POST'
        ? route.fulfill({ status: 503, json: { error: { code: 'unavailable', message: 'Busy' } } })
        : route.continue(),
    );
    await post(ivy.page, 'Worth the wait');
    await ivy.page.locator('.message.pending', { hasText: 'Worth the wait' }).waitFor();

    await ivy.page.reload();
    await connected(ivy.page);
    await ivy.page.locator('.message.pending', { hasText: 'Worth the wait' }).getByText('sending…').waitFor();
    isBusy = false;
    await seesText(jon.page, '.messages', 'Worth the wait', { timeout: 15_000 });
    await ivy.page.locator('.message.pending').waitFor({ state: 'detached' });
    expect(await storedCopies(jon.user, conversation.id, 'Worth the wait')).toBe(1);
    expect(await shownCopies(ivy.page, 'Worth the wait')).toBe(1);
  });

  it("reports a message to a conversation deleted meanwhile under Couldn't send, and wipes the conversation from the device", async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Eve' }, { name: 'Fay' }], 'Soon deleted');
    const [eve, fay] = members as [(typeof members)[0], (typeof members)[0]];
    await fay.page.locator('.status[data-saved-on-device="true"]').waitFor();
    const documentName = `twinmcp:${fay.user.id}:${conversation.id}`;
    expect(await localDatabases(fay.page)).toContain(documentName);

    await fay.page.context().setOffline(true);
    await fay.page.locator('.status[data-state="offline"]').waitFor();
    await post(fay.page, 'Into the void');
    await fay.page.locator('.message.pending', { hasText: 'Into the void' }).waitFor();
    const deleted = await stack.app.request.delete(`/api/conversations/${conversation.id}`).set(bearer(eve.user));
    expect(deleted.status).toBe(204);

    await fay.page.context().setOffline(false);
    const unsent = fay.page.getByRole('region', { name: "Couldn't send" });
    await unsent.getByText('Into the void').waitFor({ timeout: 15_000 });
    await seesText(fay.page, '.unsent .error', 'not found');
    await fay.page.locator('.message.pending').waitFor({ state: 'detached' });
    await fay.page.locator('.status[data-state="revoked"]').waitFor();
    await fay.page.waitForFunction(async (name) => !(await indexedDB.databases()).some((database) => database.name === name), documentName);

    // Discarded, it is gone for good; nothing was posted.
    await unsent.getByRole('button', { name: 'Discard' }).click();
    await unsent.waitFor({ state: 'hidden' });
    expect(await stack.app.services.db('messages').where({ content: 'Into the void' }).count({ n: '*' })).toEqual([{ n: '0' }]);
  });

  it('sends a refused message again on Retry, once the refusal no longer holds', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Max' }, { name: 'Ned' }], 'Second chance');
    const [max, ned] = members as [(typeof members)[0], (typeof members)[0]];
    let refusals = 1;
    await max.page.route('**/api/conversations/*/messages', (route) =>
      route.request().method() === 'POST' && refusals-- > 0
        ? route.fulfill({ status: 403, json: { error: { code: 'forbidden', message: 'You may not post here' } } })
        : route.continue(),
    );
    await post(max.page, 'Second try');
    const unsent = max.page.getByRole('region', { name: "Couldn't send" });
    await unsent.getByText('You may not post here').waitFor();
    await max.page.locator('.message.pending').waitFor({ state: 'detached' });

    await unsent.getByRole('button', { name: 'Retry' }).click();
    await seesText(ned.page, '.messages', 'Second try');
    await unsent.waitFor({ state: 'hidden' });
    expect(await storedCopies(ned.user, conversation.id, 'Second try')).toBe(1);
  });

  it('wipes the device copy of a conversation the server no longer shows the person', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Oda' }, { name: 'Pia' }], 'Gone while away');
    const [oda, pia] = members as [(typeof members)[0], (typeof members)[0]];
    await pia.page.locator('.status[data-saved-on-device="true"]').waitFor();
    const documentName = `twinmcp:${pia.user.id}:${conversation.id}`;
    await pia.page.getByRole('link', { name: '← Conversations' }).click();
    await pia.page.locator('.room').waitFor({ state: 'detached' });
    const deleted = await stack.app.request.delete(`/api/conversations/${conversation.id}`).set(bearer(oda.user));
    expect(deleted.status).toBe(204);

    await pia.page.goBack();
    await pia.page.getByRole('heading', { name: 'Not found' }).waitFor();
    await pia.page.waitForFunction(async (name) => !(await indexedDB.databases()).some((database) => database.name === name), documentName);
  });

  it('creates a share link asked for offline once the network returns, exactly once', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Hal' }], 'Shared later');
    const [hal] = members as [(typeof members)[0]];
    await hal.page.context().setOffline(true);
    await hal.page.locator('.status[data-state="offline"]').waitFor();
    await hal.page.getByRole('button', { name: 'Create link' }).click();
    await seesText(hal.page, '.created-share', 'created when you are back online');

    await hal.page.context().setOffline(false);
    await hal.page.locator('.created-share .share-link').waitFor({ timeout: 15_000 });
    const shares = await stack.app.request.get(`/api/share?conversationId=${conversation.id}`).set(bearer(hal.user));
    expect(shares.status).toBe(200);
    expect(shares.body.data).toHaveLength(1);
    expect(await hal.page.locator('.created-share .share-link').inputValue()).toContain(`/share/${shares.body.data[0].id}`);
  });

  it('goes on without the device copy when IndexedDB never answers, and still posts exactly once', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Kim' }, { name: 'Lou' }], 'No storage');
    const [kim, lou] = members as [(typeof members)[0], (typeof members)[0]];
    const warnings: string[] = [];
    kim.page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
    // Some private modes leave IndexedDB requests unanswered, with no error.
    await kim.page.context().addInitScript(() => {
      IDBFactory.prototype.open = () => ({}) as IDBOpenDBRequest;
    });
    await kim.page.reload();
    await connected(kim.page);
    await post(kim.page, 'Sent without storage');
    await seesText(lou.page, '.messages', 'Sent without storage', { timeout: 10_000 });
    expect(await kim.page.locator('.status').getAttribute('data-saved-on-device')).toBe('false');
    expect(warnings.some((text) => text.includes('did not load within'))).toBe(true);
    expect(warnings.some((text) => text.includes('could not be kept on this device'))).toBe(true);
    expect(await storedCopies(lou.user, conversation.id, 'Sent without storage')).toBe(1);
  });

  it("wipes the person's conversations from the device when they sign out", async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Gus' }], 'Shared computer');
    const [gus] = members as [(typeof members)[0]];
    await gus.page.locator('.status[data-saved-on-device="true"]').waitFor();
    const documentName = `twinmcp:${gus.user.id}:${conversation.id}`;
    expect(await localDatabases(gus.page)).toContain(documentName);

    await gus.page.getByRole('button', { name: 'Sign out' }).click();
    await gus.page.waitForURL(/\/login/);
    await gus.page.waitForFunction(async (name) => !(await indexedDB.databases()).some((database) => database.name === name), documentName);
  });
});
