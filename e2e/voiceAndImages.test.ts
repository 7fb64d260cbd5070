import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Page, type WebSocket } from 'playwright-core';
import sharp from 'sharp';
import { bearer, type TestUser } from '../test/factories.ts';
import { createMediaDir, removeMediaDir, speak } from '../test/media.ts';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, PHONE, SCREENSHOT_DIR, peopleInRoom, startStack, type Stack } from './harness.ts';
import { connected, signIn } from './pages.ts';

/** What the fake microphone says, once (`%noloop`), then silence. */
const DICTATED = 'hello world';
/** The words in the test picture, drawn in DejaVu Sans. */
const PICTURE_TEXT = 'INVOICE 2048';

/**
 * Voice and pictures in real Chromium against both servers and the real local engines: dictation with
 * Chromium's fake microphone playing a flite-spoken WAV (streamed over the voice WebSocket, the partial
 * transcript shown, the final text in the shared draft for everyone), a message read aloud, and a picture
 * uploaded, pasted or dropped, analysed (OCR, objects) and shown to every member and to a share link.
 */
describe('web client: voice and pictures', () => {
  let stack: Stack;
  let mediaDir: string;

  beforeAll(async () => {
    mediaDir = await createMediaDir();
    const speech = await speak(mediaDir, DICTATED, { name: 'dictation.wav' });
    // Analysis (OCR, object detection) and transcription take seconds on a loaded machine: pages wait up to 30 s.
    stack = await startStack({
      pageTimeoutMs: 30_000,
      chromiumArgs: [
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        // Without %noloop Chromium repeats the file for as long as the microphone is open.
        `--use-file-for-fake-audio-capture=${speech}%noloop`,
      ],
    });
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
    if (mediaDir) await removeMediaDir(mediaDir);
  });

  const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  /** The draft's text as the page shows it, without the other people's carets and their name labels. */
  const draftText = (page: Page) =>
    page.locator('.draft-editor').evaluate((editor) => {
      const copy = editor.cloneNode(true) as HTMLElement;
      copy.querySelectorAll('[class*="caret"]').forEach((caret) => caret.remove());
      return copy.textContent ?? '';
    });

  async function postMessage(conversationId: string, author: TestUser, content: string): Promise<string> {
    const res = await stack.app.request
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(author))
      .send({ role: 'user', content });
    if (res.status !== 201) throw new Error(`post failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.data.id as string;
  }

  /** A PNG with PICTURE_TEXT in black DejaVu Sans on white, made by sharp from an SVG. */
  async function picture(name: string): Promise<string> {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="900" height="260">' +
      '<rect width="100%" height="100%" fill="white"/>' +
      `<text x="50" y="165" font-family="DejaVu Sans" font-size="96" fill="black">${PICTURE_TEXT}</text></svg>`;
    const file = path.join(mediaDir, name);
    await sharp(Buffer.from(svg)).png().toFile(file);
    return file;
  }

  /** Records every text the page's `selector` element shows from now on, so a short-lived one is still seen. */
  async function watchTexts(page: Page, selector: string): Promise<void> {
    await page.evaluate((sel) => {
      const seen: string[] = [];
      (window as unknown as { seenTexts: string[] }).seenTexts = seen;
      const element = document.querySelector(sel)!;
      new MutationObserver(() => seen.push(element.textContent ?? '')).observe(element, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    }, selector);
  }
  const seenTexts = (page: Page) => page.evaluate(() => (window as unknown as { seenTexts: string[] }).seenTexts);

  /** Records every state an upload chip of the page goes through, so a quick one is still seen. */
  async function watchUploadStates(page: Page): Promise<void> {
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { uploadStates: string[] }).uploadStates = seen;
      new MutationObserver(() => {
        for (const chip of document.querySelectorAll<HTMLElement>('.image-upload'))
          seen.push(`${chip.dataset.state}:${chip.querySelector('.chip-state')?.textContent ?? ''}`);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
  }
  const uploadStates = (page: Page) => page.evaluate(() => (window as unknown as { uploadStates: string[] }).uploadStates);

  /** Waits until the page shows the analysed picture: thumbnail loaded, the text found. */
  async function seesAnalysedPicture(page: Page, name: string): Promise<void> {
    const figure = page.locator('.message .analysed-picture', { has: page.locator(`img[alt^="${name}"]`) });
    await figure.locator('.text-found blockquote', { hasText: /INVOICE/ }).waitFor();
    await page.waitForFunction((alt) => {
      const image = document.querySelector<HTMLImageElement>(`.analysed-picture img[alt^="${alt}"]`);
      return image !== null && image.src.startsWith('blob:') && image.complete && image.naturalWidth > 0;
    }, name);
  }

  it('dictates into the shared draft: the partial transcript while speaking, the final text at the cursor for everyone', async () => {
    const { members } = await peopleInRoom(stack, [{ name: 'Ada' }, { name: 'Bob', size: PHONE }], 'Dictation');
    const [ada, bob] = members.map((member) => member.page) as [Page, Page];
    await ada.context().grantPermissions(['microphone'], { origin: stack.baseUrl });
    const sockets: WebSocket[] = [];
    ada.on('websocket', (socket) => void (socket.url().includes('/api/voice/stream') && sockets.push(socket)));
    const uploads: string[] = [];
    ada.on('request', (request) => void (request.url().includes('/api/voice/transcribe') && uploads.push(request.url())));

    await ada.locator('.draft-editor').click();
    await ada.keyboard.type('Notes:');
    await bob.locator('.draft-editor', { hasText: 'Notes:' }).waitFor();
    await ada.getByRole('button', { name: 'Dictate into the draft' }).click();
    await ada.locator('.voice-status', { hasText: /^Recording \d+:\d\d$/ }).waitFor();
    // The partial transcript arrives over the socket while the microphone is still open.
    const partial = ada.locator('.voice-partial');
    await ada.waitForFunction(() => /hello|world/i.test(document.querySelector('.voice-partial:not([hidden])')?.textContent ?? ''));
    expect(await partial.isVisible()).toBe(true);
    await screenshot(ada, 'voice-dictating-desktop');

    await watchTexts(ada, '.voice-status');
    await ada.getByRole('button', { name: 'Stop recording' }).click();
    await bob.locator('.draft-editor', { hasText: /hello world/i }).waitFor();
    // Between the two it said it was transcribing.
    expect(await seenTexts(ada)).toContain('Transcribing…');
    await ada.getByRole('button', { name: 'Dictate into the draft' }).waitFor();
    expect(await draftText(ada)).toMatch(/^Notes: hello world$/i);
    expect(await draftText(bob)).toBe(await draftText(ada));
    expect(await partial.isHidden()).toBe(true);
    // Streamed, not uploaded: one socket carried the recording and nothing fell back to the upload.
    expect(sockets).toHaveLength(1);
    expect(uploads).toEqual([]);
    await screenshot(bob, 'voice-dictated-phone');
  }, 90_000);

  it('falls back to uploading the recording when the live transcription cannot connect', async () => {
    const { members } = await peopleInRoom(stack, [{ name: 'Cy' }], 'Dictation without the socket');
    const [cy] = members.map((member) => member.page) as [Page];
    await cy.context().grantPermissions(['microphone'], { origin: stack.baseUrl });
    // The socket is refused before it reaches the server: the recording must still be transcribed.
    await cy.routeWebSocket(/\/api\/voice\/stream/, (socket) => socket.close({ code: 1011, reason: 'refused by the test' }));
    const upload = cy.waitForResponse(
      (response) => response.url().includes('/api/voice/transcribe') && response.request().method() === 'POST',
    );

    await cy.locator('.draft-editor').click();
    await cy.getByRole('button', { name: 'Dictate into the draft' }).click();
    await cy.locator('.voice-partial.stream-lost', { hasText: 'No live transcript' }).waitFor();
    await cy.locator('.voice-status', { hasText: /^Recording 0:0[2-9]$/ }).waitFor();
    await cy.getByRole('button', { name: 'Stop recording' }).click();
    expect((await upload).status()).toBe(200);
    await cy.locator('.draft-editor', { hasText: /hello world/i }).waitFor();
  }, 90_000);

  it('says so when the microphone is refused, and records nothing', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Ida' }], 'No microphone');
    // The stack's browser accepts every prompt (--use-fake-ui-for-media-stream); this one refuses them, as a person saying no.
    const refusing = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_FLAGS, '--use-fake-device-for-media-stream', '--deny-permission-prompts'],
      headless: true,
    });
    try {
      const ida = await (await refusing.newContext({ baseURL: stack.baseUrl })).newPage();
      ida.setDefaultTimeout(30_000);
      await signIn(ida, members[0]!.user, `/c/${conversation.id}`);
      await connected(ida);
      const sockets: WebSocket[] = [];
      ida.on('websocket', (socket) => void sockets.push(socket));

      await ida.locator('.draft-editor').click();
      await ida.getByRole('button', { name: 'Dictate into the draft' }).click();
      await ida.getByRole('alert').filter({ hasText: 'Microphone access was denied.' }).waitFor();
      expect(await ida.getByRole('button', { name: 'Dictate into the draft' }).isEnabled()).toBe(true);
      expect(await ida.locator('.voice-status').textContent()).toBe('');
      expect(sockets.filter((socket) => socket.url().includes('/api/voice/stream'))).toEqual([]);
    } finally {
      await refusing.close();
    }
  }, 60_000);

  it('reads a message aloud, one at a time, and stops on a second press', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Dee' }], 'Listening');
    const [dee] = members as [(typeof members)[number]];
    const page = dee.page;
    const first = await postMessage(conversation.id, dee.user, 'The quarterly numbers are in and they look better than we hoped for.');
    const second = await postMessage(conversation.id, dee.user, 'The second message is read aloud after the first one has been stopped.');
    const listen = (id: string) => page.locator(`.message[data-id="${id}"] .speak-button`);
    await listen(second).waitFor();

    const synthesized = page.waitForResponse((response) => response.url().endsWith('/api/voice/synthesize'));
    await listen(first).click();
    const response = await synthesized;
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toMatch(/^audio\/wav/);
    expect(response.headers()['x-voice-engine']).toBe('flite');
    await page.waitForFunction(() => {
      const audio = document.querySelector<HTMLAudioElement>('audio.speech-audio');
      return audio !== null && !audio.paused && audio.currentTime > 0;
    });
    expect(await listen(first).getAttribute('aria-label')).toBe('Stop reading');

    // Another message starts: the first stops, and only one plays.
    await listen(second).click();
    await listen(first).and(page.locator('[aria-label="Read aloud"]')).waitFor();
    await page.locator(`.message[data-id="${second}"] audio.speech-audio`).waitFor({ state: 'attached' });
    expect(await page.locator('audio.speech-audio').count()).toBe(1);
    // Pressed again (or ended by itself), it goes back to Read aloud with nothing left playing.
    if ((await listen(second).getAttribute('aria-label')) === 'Stop reading') await listen(second).click();
    await listen(second).and(page.locator('[aria-label="Read aloud"]')).waitFor();
    expect(await page.locator('audio.speech-audio').count()).toBe(0);
  }, 60_000);

  it('posts a picture with its text and objects: for its poster, another member and a share link', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Eve' }, { name: 'Fay', size: PHONE }], 'Pictures');
    const [eve, fay] = members.map((member) => member.page) as [Page, Page];
    const file = await picture('invoice.png');
    await watchUploadStates(eve);

    await eve.locator('.image-button input[type="file"]').setInputFiles(file);
    for (const page of [eve, fay]) await seesAnalysedPicture(page, 'invoice.png');
    expect((await uploadStates(eve)).some((state) => /^(uploading|analyzing):/.test(state))).toBe(true);
    expect(await eve.locator('.image-upload').count()).toBe(0);

    // What the server found is what both pages show: the text, and a labelled box per object.
    const res = await stack.app.request.get(`/api/conversations/${conversation.id}/messages`).set(bearer(members[0]!.user));
    const [message] = res.body.data as Array<{ attachments: Array<{ analysis: { text: string; objects: Array<{ label: string }> } }> }>;
    const analysis = message!.attachments[0]!.analysis;
    expect(analysis.text).toMatch(/INVOICE/);
    for (const page of [eve, fay]) {
      expect(await page.locator('.object-box').count()).toBe(analysis.objects.length);
      expect(await page.locator('.object-label').allTextContents()).toEqual(analysis.objects.map((object) => object.label));
    }
    await screenshot(eve, 'image-analysed-desktop');
    await screenshot(fay, 'image-analysed-phone');

    // A share link shows the same picture, its thumbnail fetched with the share token.
    const share = await stack.app.request
      .post('/api/share')
      .set(bearer(members[0]!.user))
      .send({ conversationId: conversation.id, permission: 'read' });
    expect(share.status).toBe(201);
    const guest = await stack.openPage(PHONE);
    await guest.goto(`/share/${share.body.data.id as string}`);
    await seesAnalysedPicture(guest, 'invoice.png');
  }, 120_000);

  it('takes a picture pasted into the draft or dropped on the conversation or the composer', async () => {
    const { members } = await peopleInRoom(stack, [{ name: 'Gus' }, { name: 'Hal' }], 'Pasted pictures');
    const [gus, hal] = members.map((member) => member.page) as [Page, Page];
    const bytes = (await fs.readFile(await picture('source.png'))).toString('base64');

    await gus.locator('.draft-editor').click();
    await gus.evaluate((base64) => {
      const file = new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], 'pasted.png', { type: 'image/png' });
      const clipboard = new DataTransfer();
      clipboard.items.add(file);
      document
        .querySelector('.draft-editor')!
        .dispatchEvent(new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true, cancelable: true }));
    }, bytes);
    await seesAnalysedPicture(hal, 'pasted.png');

    await dropFiles(gus, '.messages', [{ name: 'dropped.png', type: 'image/png', base64: bytes }]);
    await seesAnalysedPicture(hal, 'dropped.png');
    // Nothing went to the draft: a picture is a message of its own.
    expect(await gus.locator('.chips:not(.image-uploads) .chip').count()).toBe(0);
    expect((await draftText(gus)).trim()).toBe('');

    // Dropped on the composer beside another file: the picture is analysed and posted, the other file waits in the draft.
    const notes = Buffer.from('Bring the invoices.\n').toString('base64');
    await dropFiles(gus, '.draft-editor', [
      { name: 'composer.png', type: 'image/png', base64: bytes },
      { name: 'notes.txt', type: 'text/plain', base64: notes },
    ]);
    await seesAnalysedPicture(hal, 'composer.png');
    await gus.locator('.chips:not(.image-uploads) .chip[data-state="ready"]', { hasText: 'notes.txt' }).waitFor();
    expect(await gus.locator('.chips:not(.image-uploads) .chip').count()).toBe(1);
  }, 120_000);

  it('says why a picture was refused, posts nothing, and lets the person dismiss it', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Jo' }], 'Not a picture');
    const [jo] = members.map((member) => member.page) as [Page];
    await jo.locator('.image-button input[type="file"]').setInputFiles({
      name: 'holiday.png',
      mimeType: 'image/png',
      buffer: Buffer.from('These are words, not pixels.\n'),
    });
    const refused = jo.locator('.image-upload[data-state="failed"]', { hasText: 'holiday.png' });
    await refused.getByRole('alert').waitFor();
    expect(await refused.getByRole('alert').textContent()).not.toBe('');
    const res = await stack.app.request.get(`/api/conversations/${conversation.id}/messages`).set(bearer(members[0]!.user));
    expect(res.body.data).toEqual([]);
    await refused.getByRole('button', { name: 'Dismiss holiday.png' }).click();
    expect(await jo.locator('.image-upload').count()).toBe(0);
  }, 60_000);
});

/** Drops files on the element as a person would from their desktop: a real DataTransfer on drag events. */
async function dropFiles(page: Page, selector: string, files: Array<{ name: string; type: string; base64: string }>): Promise<void> {
  const dataTransfer = await page.evaluateHandle((list) => {
    const data = new DataTransfer();
    for (const file of list)
      data.items.add(new File([Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0))], file.name, { type: file.type }));
    return data;
  }, files);
  const target = page.locator(selector);
  for (const type of ['dragenter', 'dragover', 'drop']) await target.dispatchEvent(type, { dataTransfer });
}
