import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileTypeFromBuffer } from 'file-type';
import { expectError } from '../../../test/assertions.ts';
import {
  addWorkspaceMember,
  bearer,
  createConversation,
  createWorkspace,
  createWorkspaceConversation,
  recordEvents,
  registerUser,
  type TestUser,
} from '../../../test/factories.ts';
import { createMediaDir, encodeAs, removeMediaDir, silence, speak } from '../../../test/media.ts';
import { startAttachmentsApp, type AttachmentsApp } from '../attachments/attachments.fixtures.ts';
import { shareOfWordsHeard, transcribe } from './voice.fixtures.ts';

const SENTENCE = 'hello world this is a test';

describe('voice', () => {
  let a: AttachmentsApp;
  let owner: TestUser;
  let outsider: TestUser;
  let dir: string;
  let speech: string;
  beforeAll(async () => {
    a = await startAttachmentsApp('local');
    owner = await registerUser(a.t);
    outsider = await registerUser(a.t);
    dir = await createMediaDir();
    speech = await speak(dir, SENTENCE, { name: 'sentence.wav' });
  });
  afterAll(async () => {
    await a?.close();
    await removeMediaDir(dir);
  });

  /** Rows and stored objects of voice uploads not kept in a conversation. */
  const storedVoice = async () => ({
    rows: Number((await a.t.services.db('voice_transcriptions').count<[{ count: string }]>('* as count'))[0]!.count),
    objects: await a.storedKeys('voice/'),
  });

  describe('POST /api/voice/transcribe', () => {
    it.each(['wav', 'ogg', 'webm', 'mp3', 'm4a'] as const)('transcribes flite’s speech sent as %s', async (format) => {
      const file = format === 'wav' ? speech : await encodeAs(speech, format);
      const res = await transcribe(a.t, owner, file);
      expect(res.status).toBe(200);
      const data = res.body.data;
      expect(shareOfWordsHeard(SENTENCE, data.text)).toBeGreaterThanOrEqual(0.5);
      expect(data).toMatchObject({ status: 'done', progress: 1, language: 'en-US', engine: 'pocketsphinx', fallbacks: [], error: null });
      expect(data.durationMs).toBeGreaterThan(1000);
      expect(data.segments.length).toBeGreaterThan(0);
      expect(data.segments[0].startMs).toBeLessThan(data.segments.at(-1).endMs);
      expect(data.segments.at(-1).endMs).toBeLessThanOrEqual(data.durationMs);
    });

    it('answers the same bytes from the earlier result, without running an engine', async () => {
      const file = await speak(dir, 'good morning everyone', { name: 'cache.wav' });
      const first = await transcribe(a.t, owner, file);
      expect(first.body.data.cached).toBe(false);
      const second = await transcribe(a.t, outsider, file);
      expect(second.status).toBe(200);
      expect(second.body.data).toMatchObject({ cached: true, text: first.body.data.text, engine: first.body.data.engine });
      expect(second.body.data.id).not.toBe(first.body.data.id);
      // Another language is another transcription.
      const other = await transcribe(a.t, owner, file, { language: 'en-GB' });
      expect(other.body.data.cached).toBe(false);
    });

    it('answers silence with empty text, not an error', async () => {
      const res = await transcribe(a.t, owner, await silence(dir, 3));
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ status: 'done', text: '', segments: [], durationMs: 0 });
    });

    it('refuses a PDF as audio with 415 and keeps nothing', async () => {
      const before = await storedVoice();
      const pdf = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
      expectError(await transcribe(a.t, owner, pdf), 415, 'unsupported_media_type');
      expect(await storedVoice()).toEqual(before);
    });

    it('refuses bytes that sniff as audio but hold none with 415', async () => {
      const fake = Buffer.concat([Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x00'), Buffer.alloc(4096, 7)]);
      expectError(await transcribe(a.t, owner, fake), 415, 'unsupported_media_type');
    });

    it('refuses an empty file with 400', async () => {
      const before = await storedVoice();
      expectError(await transcribe(a.t, owner, Buffer.alloc(0)), 400, 'empty_file');
      expect(await storedVoice()).toEqual(before);
    });

    it('refuses 26 MiB with 413 and stores nothing', async () => {
      const before = await storedVoice();
      const big = Buffer.concat([await fs.readFile(speech), Buffer.alloc(26 * 1024 * 1024)]);
      expectError(await transcribe(a.t, owner, big), 413, 'payload_too_large');
      expect(await storedVoice()).toEqual(before);
      expect(await a.tempFiles()).toEqual([]);
    });

    it('refuses post=true without a conversation, and a conversation that is not yours with 404', async () => {
      expectError(await transcribe(a.t, owner, speech, { post: 'true' }), 400, 'validation_failed');
      const theirs = await createConversation(a.t, outsider);
      expectError(await transcribe(a.t, owner, speech, { conversationId: theirs.id }), 404, 'not_found');
    });

    it('keeps the audio in the conversation and posts the transcript that another member sees, live', async () => {
      const workspace = await createWorkspace(a.t, owner);
      const member = await registerUser(a.t);
      await addWorkspaceMember(a.t, workspace.id, member, 'member');
      const conversation = await createWorkspaceConversation(a.t, owner, workspace.id);
      const events = recordEvents(a.t.services.bus, 'message.created');
      const res = await transcribe(a.t, owner, await encodeAs(speech, 'webm'), { conversationId: conversation.id, post: 'true' });
      expect(res.status).toBe(200);
      const { attachmentId, messageId, text } = res.body.data;
      expect(attachmentId).toEqual(expect.any(String));
      expect(messageId).toEqual(expect.any(String));
      await events.waitFor((event) => event.message.id === messageId);
      events.stop();

      const messages = await a.t.request.get(`/api/conversations/${conversation.id}/messages`).set(bearer(member));
      const message = messages.body.data.find((m: { id: string }) => m.id === messageId);
      expect(message).toMatchObject({
        content: text,
        attachments: [expect.objectContaining({ id: attachmentId, contentType: 'video/webm' })],
      });
      const download = await a.t.request.get(`/api/attachments/${attachmentId}`).set(bearer(member)).buffer(true);
      expect(download.status).toBe(200);
      expect(await a.storedKeys(`attachments/${conversation.id}/`)).toHaveLength(1);
    });

    it('keeps the audio as an unposted attachment with conversationId alone', async () => {
      const conversation = await createConversation(a.t, owner);
      const res = await transcribe(a.t, owner, speech, { conversationId: conversation.id });
      expect(res.body.data).toMatchObject({ attachmentId: expect.any(String), messageId: null });
    });
  });

  describe('GET /api/voice/transcriptions/:id', () => {
    it('shows the owner their transcription and no one else', async () => {
      const created = await transcribe(a.t, owner, await speak(dir, 'one two three'));
      const mine = await a.t.request.get(`/api/voice/transcriptions/${created.body.data.id}`).set(bearer(owner));
      expect(mine.body.data).toEqual(created.body.data);
      expectError(await a.t.request.get(`/api/voice/transcriptions/${created.body.data.id}`).set(bearer(outsider)), 404, 'not_found');
    });
  });

  describe('POST /api/voice/synthesize', () => {
    it('speaks WAV that transcribes back to the text', async () => {
      const text = 'hello world this is a test';
      const res = await a.t.request.post('/api/voice/synthesize').set(bearer(owner)).send({ text }).buffer(true);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('audio/wav');
      expect(res.headers['x-voice-engine']).toBe('flite');
      expect(res.headers['x-voice-fallbacks']).toBeUndefined();
      expect((await fileTypeFromBuffer(res.body as Buffer))?.mime).toBe('audio/wav');
      const back = await transcribe(a.t, owner, res.body as Buffer);
      expect(shareOfWordsHeard(text, back.body.data.text)).toBeGreaterThanOrEqual(0.5);
    });

    it.each([
      ['ogg', { format: 'ogg' }, {}, 'audio/ogg'],
      ['mp3', { format: 'mp3' }, {}, 'audio/mpeg'],
      ['ogg by Accept', {}, { Accept: 'audio/ogg' }, 'audio/ogg'],
      ['mp3 by Accept', {}, { Accept: 'audio/mpeg' }, 'audio/mpeg'],
    ])('speaks %s', async (_name, body, headers, type) => {
      const res = await a.t.request
        .post('/api/voice/synthesize')
        .set(bearer(owner))
        .set(headers)
        .send({ text: 'good evening', voice: 'kal16', ...body })
        .buffer(true)
        .parse((response, done) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => done(null, Buffer.concat(chunks)));
        });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(type);
      expect((await fileTypeFromBuffer(res.body as Buffer))?.mime.split(';')[0]).toBe(type);
    });

    it('refuses more than 5,000 characters with 400, and an empty text', async () => {
      expectError(
        await a.t.request
          .post('/api/voice/synthesize')
          .set(bearer(owner))
          .send({ text: 'a'.repeat(5001) }),
        400,
        'validation_failed',
      );
      expectError(await a.t.request.post('/api/voice/synthesize').set(bearer(owner)).send({ text: '' }), 400, 'validation_failed');
    });
  });

  describe('GET /api/voice/voices', () => {
    it('lists the local voices when no cloud is configured', async () => {
      const res = await a.t.request.get('/api/voice/voices').set(bearer(owner));
      expect(res.status).toBe(200);
      expect(res.body.data.map((v: { id: string }) => v.id)).toEqual(['slt', 'kal16', 'rms', 'awb']);
      expect(res.body.data[0]).toEqual({ id: 'slt', name: expect.any(String), engine: 'flite', language: 'en-US' });
    });
  });
});
