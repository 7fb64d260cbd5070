import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buffer } from 'node:stream/consumers';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Page } from 'playwright-core';
import { signAccessToken } from '@shared/auth.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../test/factories.ts';
import { PHONE, SCREENSHOT_DIR, peopleInRoom, startStack, type Stack } from './harness.ts';
import { connected, seesText, signIn } from './pages.ts';

/** The e2e stack's attachment cap. */
const ATTACHMENT_MAX_BYTES = 64 * 1024;

/**
 * The web client in real Chromium against the real REST and collab servers on PostgreSQL: people write
 * one draft together, share links are read-only or editable as created, revoking one ends the viewer's
 * connection, offline edits arrive once the network is back, and files travel with messages.
 */
describe('web client in Chromium', () => {
  let stack: Stack;

  beforeAll(async () => {
    // A small cap, so a refused upload is quick to provoke.
    stack = await startStack({ env: { ATTACHMENT_MAX_BYTES: String(ATTACHMENT_MAX_BYTES) } });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  const openPage = (size?: { width: number; height: number }) => stack.openPage(size);

  const draft = (page: Page) => page.locator('.draft-editor');
  const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });

  /** The draft as the collab server holds it in memory right now. */
  function serverDraft(conversationId: string): string {
    const document = stack.collab.hocuspocus.documents.get(`conversation:${conversationId}`);
    return document ? document.getXmlFragment('draft').toString() : '';
  }

  async function createShare(owner: TestUser, conversationId: string, body: Record<string, unknown>): Promise<{ id: string; url: string }> {
    const res = await stack.app.request
      .post('/api/share')
      .set(bearer(owner))
      .send({ conversationId, ...body });
    if (res.status !== 201) throw new Error(`share failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.data;
  }

  it('lets two workspace members write one draft together, with carets, typing, presence and posting', async () => {
    const ada = await openPage();
    const bob = await openPage(PHONE);
    const bobEmail = `bob-${Date.now()}@example.com`;

    // Ada signs up, creates a workspace and invites Bob by email.
    const scripts: string[] = [];
    ada.on('request', (request) => request.resourceType() === 'script' && scripts.push(new URL(request.url()).pathname));
    await ada.goto('/');
    await ada.waitForURL(/\/login/);
    // The sign-in page starts without the editor and the collaboration stack (loaded with a conversation).
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((script) => /\/room-/.test(script))).toEqual([]);
    await ada.getByRole('link', { name: 'Create an account' }).click();
    await ada.getByLabel('Name').fill('Ada');
    await ada.getByLabel('Email').fill(`ada-${Date.now()}@example.com`);
    await ada.getByLabel('Password').fill('correct horse battery staple');
    await screenshot(ada, 'register-desktop');
    await ada.getByRole('button', { name: 'Create account' }).click();
    await ada.getByRole('heading', { name: 'Your conversations' }).waitFor();
    await ada.getByRole('link', { name: 'Workspaces' }).click();
    await ada.getByLabel('New workspace').fill('Design team');
    await ada.getByRole('button', { name: 'Create' }).click();
    await ada.getByRole('heading', { name: 'Design team' }).waitFor();
    await ada.getByLabel('Email').fill(bobEmail);
    await ada.getByRole('button', { name: 'Send invitation' }).click();
    await seesText(ada, '.invitations', bobEmail);
    await screenshot(ada, 'workspace-desktop');

    // Bob follows the emailed link (the outbox holds it without SMTP), signs up and joins.
    const email = await stack.app.services.db('email_outbox').where({ to: bobEmail }).first();
    const invitePath = /\/invite\?token=[\w-]+/.exec(email.text)![0];
    await bob.goto(invitePath);
    await bob.getByLabel('Name').fill('Bob');
    await bob.getByLabel('Email').fill(bobEmail);
    await bob.getByLabel('Password').fill('correct horse battery staple');
    await bob.getByRole('button', { name: 'Create account' }).click();
    await bob.getByRole('heading', { name: 'Design team' }).waitFor();

    // Ada starts a conversation in the workspace; Bob opens it from the workspace's list.
    await ada.getByRole('link', { name: 'Conversations', exact: true }).last().click();
    await ada.getByLabel('New conversation').fill('Launch plan');
    await ada.getByRole('button', { name: 'Create' }).click();
    await ada.waitForURL(/\/c\//);
    const conversationId = ada.url().split('/c/')[1]!;
    await connected(ada);
    expect(scripts.some((script) => /\/room-/.test(script))).toBe(true);
    await bob.goto(`/?workspace=${(await stack.app.services.db('conversations').where({ id: conversationId }).first()).workspace_id}`);
    await screenshot(bob, 'conversations-phone');
    await bob.getByRole('link', { name: 'Launch plan' }).click();
    await connected(bob);

    // Both write; each sees the other's words, caret label, typing and presence.
    await draft(ada).click();
    await ada.keyboard.type('Hello from Ada');
    await seesText(bob, '.draft-editor', 'Hello from Ada');
    await draft(bob).click();
    await bob.keyboard.press('Control+End');
    await bob.keyboard.type(' and Bob');
    await seesText(ada, '.typing', 'Bob is typing…');
    await seesText(ada, '.draft-editor', 'Hello from Ada and Bob');
    await seesText(ada, '.collaboration-carets__label', 'Bob');
    await seesText(bob, '.collaboration-carets__label', 'Ada');
    await seesText(ada, '.presence', 'Ada (you)');
    await seesText(ada, '.presence', 'Bob');
    expect(serverDraft(conversationId)).toContain('Hello from Ada and Bob');
    await screenshot(ada, 'conversation-desktop');
    await screenshot(bob, 'conversation-phone');

    // "typing…" goes away once Bob stops.
    await ada.waitForFunction(() => document.querySelector('.typing')?.textContent === '', undefined, { timeout: 5_000 });

    // Posting turns the draft into a message both see, and clears the draft for everyone.
    await ada.getByRole('button', { name: 'Post draft' }).click();
    await seesText(bob, '.messages .content', 'Hello from Ada and Bob');
    await seesText(ada, '.messages .message', 'Ada');
    await bob.waitForFunction(() => document.querySelector('.draft-editor')?.textContent === '');
    await screenshot(bob, 'conversation-posted-phone');
    const [message] = (
      await stack.app.request.get(`/api/conversations/${conversationId}/messages`).set(bearer({ accessToken: await accessTokenOf(ada) }))
    ).body.data;
    expect(message).toMatchObject({ role: 'user', content: 'Hello from Ada and Bob' });
  }, 60_000);

  it('shows a read-only link live but does not let its viewer change the draft', async () => {
    const owner = await registerUser(stack.app, { name: 'Olga' });
    const conversation = await createConversation(stack.app, owner, 'Read-only notes');
    const ownerPage = await openPage();
    await signIn(ownerPage, owner, `/c/${conversation.id}`);
    await connected(ownerPage);
    await draft(ownerPage).click();
    await ownerPage.keyboard.type('Draft by the owner');

    // The owner creates a read link in the share panel and gets its QR code.
    await ownerPage.getByLabel('Permission').selectOption('read');
    await ownerPage.getByRole('button', { name: 'Create link' }).click();
    const qr = ownerPage.getByAltText('QR code of the share link');
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const link = await ownerPage.locator('input.share-link').inputValue();
    const shareId = link.split('/share/')[1]!;
    await screenshot(ownerPage, 'share-panel-desktop');

    const guest = await openPage(PHONE);
    await guest.goto(`/share/${shareId}`);
    await connected(guest);
    await seesText(guest, '.draft-editor', 'Draft by the owner');
    expect(await draft(guest).getAttribute('contenteditable')).toBe('false');
    await draft(guest).click();
    await guest.keyboard.type('vandalism');
    await guest.keyboard.press('Backspace');
    // The owner keeps writing and the guest sees it live; nothing of the guest's reached the server.
    await draft(ownerPage).click();
    await ownerPage.keyboard.press('Control+End');
    await ownerPage.keyboard.type(', still going');
    await seesText(guest, '.draft-editor', 'Draft by the owner, still going');
    expect(await draftText(guest)).toBe('Draft by the owner, still going');
    expect(serverDraft(conversation.id)).toContain('Draft by the owner, still going');
    expect(serverDraft(conversation.id)).not.toContain('vandalism');
    await screenshot(guest, 'share-read-only-phone');
  }, 45_000);

  it('asks for a link password, and an edit link lets its guest write', async () => {
    const owner = await registerUser(stack.app);
    const conversation = await createConversation(stack.app, owner, 'Guarded');
    const share = await createShare(owner, conversation.id, { permission: 'edit', password: 'open sesame please' });
    const guest = await openPage(PHONE);
    await guest.goto(`/share/${share.id}`);
    await guest.getByRole('heading', { name: 'Password required' }).waitFor();
    await guest.getByLabel('Password').fill('wrong password');
    await guest.getByRole('button', { name: 'Open' }).click();
    await seesText(guest, '.error', 'That password is not right.');
    await screenshot(guest, 'share-password-phone');
    await guest.getByLabel('Password').fill('open sesame please');
    await guest.getByRole('button', { name: 'Open' }).click();
    await connected(guest);
    expect(await draft(guest).getAttribute('contenteditable')).toBe('true');
    await draft(guest).click();
    await guest.keyboard.type('A guest was here');
    await waitUntil(() => serverDraft(conversation.id).includes('A guest was here'));
  }, 30_000);

  it('ends the viewer’s connection when the link is revoked', async () => {
    const owner = await registerUser(stack.app);
    const conversation = await createConversation(stack.app, owner, 'Soon private');
    const share = await createShare(owner, conversation.id, { permission: 'read' });
    const guest = await openPage();
    await guest.goto(`/share/${share.id}`);
    await connected(guest);

    const res = await stack.app.request.delete(`/api/share/${share.id}`).set(bearer(owner));
    expect(res.status).toBe(204);
    await guest.locator('.status[data-state="revoked"]').waitFor();
    await seesText(guest, '.notice', 'access to this conversation has ended');
    await screenshot(guest, 'share-revoked-desktop');
  }, 30_000);

  it('keeps edits made offline and sends them when the connection returns', async () => {
    const owner = await registerUser(stack.app, { name: 'Olga' });
    const conversation = await createConversation(stack.app, owner, 'Offline');
    const share = await createShare(owner, conversation.id, { permission: 'edit' });
    const [online, offline] = [await openPage(), await openPage(PHONE)];
    await online.goto(`/share/${share.id}`);
    await offline.goto(`/share/${share.id}`);
    await Promise.all([connected(online), connected(offline)]);

    await offline.context().setOffline(true);
    await offline.locator('.status[data-state="offline"]').waitFor();
    await draft(offline).click();
    await offline.keyboard.type('Written on a train');
    await seesText(offline, '.status', 'your changes are kept');
    await screenshot(offline, 'offline-phone');
    expect(serverDraft(conversation.id)).not.toContain('Written on a train');

    await offline.context().setOffline(false);
    await connected(offline);
    await seesText(online, '.draft-editor', 'Written on a train');
    expect(serverDraft(conversation.id)).toContain('Written on a train');
  }, 30_000);

  it('marks a message its author edited as edited, live, for everyone in the room', async () => {
    const author = await registerUser(stack.app, { name: 'Ines' });
    const conversation = await createConversation(stack.app, author, 'Edits');
    const page = await openPage();
    await signIn(page, author, `/c/${conversation.id}`);
    await connected(page);
    const posted = await stack.app.request
      .post(`/api/conversations/${conversation.id}/messages`)
      .set(bearer(author))
      .send({ role: 'user', content: 'frist try' });
    await seesText(page, '.messages', 'frist try');
    expect(await page.locator('.message .edited').count()).toBe(0);

    const path = `/api/conversations/${conversation.id}/messages/${posted.body.data.id}`;
    expect((await stack.app.request.patch(path).set(bearer(author)).send({ content: 'first try' })).status).toBe(200);
    await seesText(page, '.messages', 'first try');
    await page.locator('.message .edited').waitFor();
    // A fresh load shows it too, from the REST API and the stored document alike.
    await page.reload();
    await connected(page);
    await page.locator('.message .edited').waitFor();
  }, 30_000);

  it('refreshes an expired access token and still connects', async () => {
    const user = await registerUser(stack.app, { name: 'Eve' });
    const conversation = await createConversation(stack.app, user, 'Long meeting');
    const page = await openPage();
    await signIn(page, user);
    // Swap in an access token that lapsed ten seconds ago, as after a laptop sleeps through its lifetime.
    const expired = signAccessToken({ ...stack.app.services.tokens, accessTokenTtlSeconds: -10 }, user.id, 0);
    await page.evaluate((token) => {
      const stored = JSON.parse(localStorage.getItem('twinmcp.session')!);
      localStorage.setItem('twinmcp.session', JSON.stringify({ ...stored, accessToken: token }));
    }, expired);
    await page.goto(`/c/${conversation.id}`);
    await connected(page);
    await page.getByRole('heading', { name: 'Long meeting' }).waitFor();
    expect(await accessTokenOf(page)).not.toBe(expired);
  }, 30_000);

  it('attaches by picker and by drag-and-drop, shows both files to members and share viewers, and says why one was refused', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Ada' }, { name: 'Bob', size: PHONE }], 'Moodboard');
    const [{ user: ada, page: adaPage }, { page: bobPage }] = members as [(typeof members)[number], (typeof members)[number]];
    const chip = (name: string, state: string) => adaPage.locator(`.chip[data-state="${state}"]`, { hasText: name });

    // A picture through the file picker, a text file dropped on the draft, and one file over the cap.
    await adaPage.getByLabel('Attach files').setInputFiles({ name: 'sketch.png', mimeType: 'image/png', buffer: solidPng(96, 64) });
    await chip('sketch.png', 'ready').waitFor();
    await dropFile(adaPage, '.draft-editor', { name: 'notes.txt', type: 'text/plain', text: 'Bring the sketches.\n' });
    await chip('notes.txt', 'ready').waitFor();
    await adaPage
      .getByLabel('Attach files')
      .setInputFiles({ name: 'huge.txt', mimeType: 'text/plain', buffer: Buffer.alloc(ATTACHMENT_MAX_BYTES + 1, 'a') });
    await chip('huge.txt', 'failed').waitFor();
    expect(await chip('huge.txt', 'failed').textContent()).toContain(`The file is larger than the limit of ${ATTACHMENT_MAX_BYTES} bytes`);
    expect(await chip('notes.txt', 'ready').textContent()).toContain('20 B');
    await screenshot(adaPage, 'attachments-chips-desktop');

    await draft(adaPage).click();
    await adaPage.keyboard.type('Files for Friday');
    await adaPage.getByRole('button', { name: 'Post draft' }).click();
    // The chips go once it is posted, the refused one too.
    await adaPage.waitForFunction(() => document.querySelectorAll('.chips .chip').length === 0);

    for (const page of [adaPage, bobPage]) {
      await seesText(page, '.messages .content', 'Files for Friday');
      await pictureShown(page, 'sketch.png');
      await page.getByRole('link', { name: 'notes.txt 20 B' }).waitFor();
    }
    expect(await bobPage.locator('.messages').textContent()).not.toContain('huge.txt');
    await screenshot(bobPage, 'attachments-message-phone');

    // The link fetches the file with Bob's token and saves it under its name.
    const [download] = await Promise.all([bobPage.waitForEvent('download'), bobPage.getByRole('link', { name: 'notes.txt 20 B' }).click()]);
    expect(download.suggestedFilename()).toBe('notes.txt');
    expect((await buffer(await download.createReadStream())).toString()).toBe('Bring the sketches.\n');

    // Someone with a read link sees the picture too, fetched with the share token.
    const share = await createShare(ada, conversation.id, { permission: 'read' });
    const guest = await openPage(PHONE);
    await guest.goto(`/share/${share.id}`);
    await connected(guest);
    await pictureShown(guest, 'sketch.png');
    await guest.getByRole('link', { name: 'notes.txt 20 B' }).waitFor();
    expect(await guest.getByLabel('Attach files').count()).toBe(0);
    await screenshot(guest, 'attachments-share-phone');
  }, 60_000);

  it('serves the client for browser paths and keeps JSON 404s for the API', async () => {
    const page = await stack.app.request.get('/share/anything').set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<meta name="collab-url" content="ws://127.0.0.1:${stack.app.config.COLLAB_PORT}">`);
    const api = await stack.app.request.get('/api/nothing-here').set('Accept', 'text/html');
    expect(api.status).toBe(404);
    expect(api.body.error.code).toBe('not_found');
    const script = await stack.app.request.get('/nowhere.js').set('Accept', '*/*');
    expect(script.status).toBe(404);
  });
});

/** The draft's words as a page shows them, without other people's caret labels. */
async function draftText(page: Page): Promise<string> {
  return page.locator('.draft-editor').evaluate((editor) => {
    const copy = editor.cloneNode(true) as HTMLElement;
    copy.querySelectorAll('.collaboration-carets__caret').forEach((caret) => caret.remove());
    return copy.textContent ?? '';
  });
}

/** Waits until the message list shows a picture with this alt text, decoded (naturalWidth > 0). */
async function pictureShown(page: Page, alt: string): Promise<void> {
  await page.waitForFunction(
    (name) =>
      [...document.querySelectorAll<HTMLImageElement>('.messages .attachments img')].some(
        (img) => img.alt === name && img.complete && img.naturalWidth > 0,
      ),
    alt,
  );
}

/** Drops a file on the element as a person would from their desktop: a real DataTransfer on drag events. */
async function dropFile(page: Page, selector: string, file: { name: string; type: string; text: string }): Promise<void> {
  const dataTransfer = await page.evaluateHandle(({ name, type, text }) => {
    const data = new DataTransfer();
    data.items.add(new File([text], name, { type }));
    return data;
  }, file);
  const target = page.locator(selector);
  for (const type of ['dragenter', 'dragover', 'drop']) await target.dispatchEvent(type, { dataTransfer });
}

/** A PNG of one colour, built by hand (no image library needed): signature, IHDR, one IDAT, IEND. */
function solidPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, Buffer.from([0x4f, 0x46, 0xe5]))]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function accessTokenOf(page: Page): Promise<string> {
  return page.evaluate(() => JSON.parse(localStorage.getItem('twinmcp.session')!).accessToken as string);
}

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
