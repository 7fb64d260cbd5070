import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { concatenate, createMediaDir, encodeAs, removeMediaDir, silence, speak } from '../../test/media.ts';
import { chunkAudio } from './chunkAudio.ts';
import { parseTimedOutput } from './pocketsphinx.ts';
import { VoiceEngines } from './VoiceEngines.ts';
import { SAMPLE_RATE } from './wav.ts';

const config = parseConfig({ LOG_LEVEL: 'silent', VOICE_MAX_SECONDS: '700' });
const log = createLogger(config);
const engines = new VoiceEngines(config, log);
let dir: string;

/** The words of a text, lower case, without punctuation. */
const wordsOf = (text: string) => text.toLowerCase().match(/[a-z']+/g) ?? [];

beforeAll(async () => {
  dir = await createMediaDir();
});
afterAll(async () => {
  await removeMediaDir(dir);
});

describe('voice engines on the local programs', () => {
  it('hears flite’s “hello world” in an ogg/opus file, trimmed of silence', async () => {
    const speech = await speak(dir, 'hello world');
    const padded = await concatenate(dir, [await silence(dir, 2), speech, await silence(dir, 2)]);
    const audio = await engines.normalise(await encodeAs(padded, 'ogg'));
    expect(audio.durationMs).toBeLessThan(2_500);
    const result = await engines.transcribe(audio.pcm, { language: 'en-US' });
    expect(result.engine).toBe('pocketsphinx');
    expect(wordsOf(result.text)).toContain('hello');
  });

  it('answers engine_unavailable naming the Debian package when pocketsphinx is missing', async () => {
    const missing = new VoiceEngines(config, log, { tools: { pocketsphinx: path.join(dir, 'no-such-pocketsphinx') } });
    const audio = await engines.normalise(await speak(dir, 'hello world'));
    await expect(missing.transcribe(audio.pcm, { language: 'en-US' })).rejects.toMatchObject({
      status: 503,
      code: 'engine_unavailable',
      message: expect.stringContaining('pocketsphinx-en-us'),
    });
  });

  it('answers engine_unavailable naming flite when it is missing', async () => {
    const missing = new VoiceEngines(config, log, { tools: { flite: '/nonexistent/flite' } });
    await expect(missing.synthesize('hello', { format: 'wav' })).rejects.toMatchObject({
      status: 503,
      code: 'engine_unavailable',
      message: expect.stringContaining('`flite`'),
    });
  });

  it('refuses bytes with no audio stream as 415', async () => {
    const fs = await import('node:fs/promises');
    const file = path.join(dir, 'not-audio.txt');
    await fs.writeFile(file, 'just some text, not a recording');
    await expect(engines.normalise(file)).rejects.toMatchObject({ status: 415, code: 'unsupported_media_type' });
  });
});

describe('chunkAudio', () => {
  it('cuts a long recording at its pauses into pieces of at most 30 s that cover it all', async () => {
    const sentence = await speak(dir, 'the quick brown fox jumps over the lazy dog');
    const pause = await silence(dir, 1);
    const long = await concatenate(
      dir,
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? sentence : pause)),
    );
    const { pcm } = await engines.normalise(long, { trim: false });
    const chunks = chunkAudio(pcm);
    expect(chunks.length).toBeGreaterThan(1);
    let expectedOffset = 0;
    for (const chunk of chunks) {
      expect(chunk.offsetMs).toBe(Math.round(expectedOffset));
      expect(chunk.pcm.length / 2 / SAMPLE_RATE).toBeLessThanOrEqual(30);
      expectedOffset += (chunk.pcm.length / 2 / SAMPLE_RATE) * 1000;
    }
    expect(chunks.reduce((sum, c) => sum + c.pcm.length, 0)).toBe(pcm.length);
  });
});

describe('parseTimedOutput', () => {
  it('makes one segment per utterance and drops markers and pronunciation numbers', () => {
    const output = [
      'hello world',
      '<s> 0.000 0.140 0.99',
      'hello(2) 0.150 0.540 0.99',
      '<sil> 0.540 0.600 0.99',
      'world 0.600 0.900 0.99',
      '</s> 0.910 0.970 1.0',
      'again',
      '<s> 2.000 2.100 0.99',
      'again 2.100 2.500 0.99',
      '</s> 2.500 2.600 1.0',
    ].join('\n');
    expect(parseTimedOutput(output)).toEqual({
      text: 'hello world again',
      segments: [
        { startMs: 150, endMs: 900, text: 'hello world' },
        { startMs: 2100, endMs: 2500, text: 'again' },
      ],
    });
  });
});
