import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectError } from '../../../test/assertions.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import { concatenate, createMediaDir, removeMediaDir, silence, speak } from '../../../test/media.ts';
import { startAttachmentsApp, type AttachmentsApp } from '../attachments/attachments.fixtures.ts';
import { transcribe, waitForTranscription, wordsOf } from './voice.fixtures.ts';

/** Thirty seconds: a sentence, then silence to fill the half minute. */
const SENTENCE = 'the quick brown fox jumps over the lazy dog';

describe('long recordings', () => {
  let a: AttachmentsApp;
  let owner: TestUser;
  let dir: string;
  let halfMinute: string;
  beforeAll(async () => {
    // Anything over five seconds goes through the job queue; the ten-minute cap is the default.
    a = await startAttachmentsApp('local', { env: { VOICE_SYNC_SECONDS: '5' } });
    owner = await registerUser(a.t);
    dir = await createMediaDir();
    const sentence = await speak(dir, SENTENCE);
    halfMinute = await concatenate(dir, [sentence, await silence(dir, 27)], 'half-minute.wav');
  });
  afterAll(async () => {
    await a?.close();
    await removeMediaDir(dir);
  });

  it('transcribes ten minutes on the job queue in chunks: 202, progress, then segments across the whole recording', async () => {
    const tenMinutes = await concatenate(
      dir,
      Array.from({ length: 20 }, () => halfMinute),
      'ten-minutes.wav',
    );
    const res = await transcribe(a.t, owner, tenMinutes);
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ status: 'pending', progress: 0, text: '', engine: null });
    // Trimmed of the last silence: 19 half minutes and a sentence.
    expect(res.body.data.durationMs).toBeGreaterThan(570_000);

    const { data, seen } = await waitForTranscription(
      a.t,
      owner,
      res.body.data.id,
      (d) => d.status === 'done' || d.status === 'failed',
      540_000,
    );
    expect(data).toMatchObject({ status: 'done', progress: 1, engine: 'pocketsphinx', error: null });
    expect(seen.some((s) => s.status === 'running' && s.progress > 0 && s.progress < 1)).toBe(true);
    // One sentence every thirty seconds (less the trimmed lead-in), each found in its own half minute, in order.
    const starts = data.segments.map((s: { startMs: number }) => s.startMs);
    expect(starts).toEqual([...starts].sort((x, y) => x - y));
    for (let i = 0; i < 20; i++)
      expect(starts.some((start: number) => start >= i * 30_000 - 1_000 && start < i * 30_000 + 4_000)).toBe(true);
    expect(data.segments.at(-1).endMs).toBeGreaterThan(data.durationMs - 2_000);
    expect(data.segments.at(-1).endMs).toBeLessThanOrEqual(data.durationMs + 500);
    expect(wordsOf(data.text).filter((word) => word === 'fox').length).toBeGreaterThanOrEqual(15);
  }, 600_000);

  it('posts the transcript of a queued recording to the conversation once it is done', async () => {
    const conversation = await createConversation(a.t, owner);
    // Two sentences thirty seconds apart: over VOICE_SYNC_SECONDS once the silence at the end is trimmed.
    const minute = await concatenate(dir, [halfMinute, halfMinute], 'minute.wav');
    const res = await transcribe(a.t, owner, minute, { conversationId: conversation.id, post: 'true' });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ attachmentId: expect.any(String), messageId: null });
    const { data } = await waitForTranscription(a.t, owner, res.body.data.id, (d) => d.status === 'done' || d.status === 'failed', 240_000);
    expect(data).toMatchObject({ status: 'done', messageId: expect.any(String) });
    const messages = await a.t.request.get(`/api/conversations/${conversation.id}/messages`).set(bearer(owner));
    expect(messages.body.data).toEqual([
      expect.objectContaining({
        id: data.messageId,
        content: data.text,
        attachments: [expect.objectContaining({ id: data.attachmentId })],
      }),
    ]);
  }, 300_000);

  it('refuses a recording over VOICE_MAX_SECONDS with 400 and keeps nothing', async () => {
    const elevenMinutes = await concatenate(
      dir,
      Array.from({ length: 22 }, () => halfMinute),
      'eleven-minutes.wav',
    );
    const before = await a.storedKeys('voice/');
    expectError(await transcribe(a.t, owner, elevenMinutes), 400, 'audio_too_long');
    expect(await a.storedKeys('voice/')).toEqual(before);
  });
});
