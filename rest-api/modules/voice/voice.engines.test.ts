import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { VoiceEngines } from '@shared/voice/VoiceEngines.ts';
import { expectError } from '../../../test/assertions.ts';
import { bearer, registerUser, type TestUser } from '../../../test/factories.ts';
import { createMediaDir, removeMediaDir, speak } from '../../../test/media.ts';
import { writeServiceAccountKey } from '../../../test/standIns/googleServiceAccount.ts';
import { startGoogleSpeechStandIn, type GoogleSpeechStandIn } from '../../../test/standIns/googleSpeech.ts';
import { loopbackTls } from '../../../test/standIns/loopbackTls.ts';
import { startOpenAIVoiceStandIn, type OpenAIVoiceStandIn } from '../../../test/standIns/openaiVoice.ts';
import { startAttachmentsApp, type AttachmentsApp } from '../attachments/attachments.fixtures.ts';
import { shareOfWordsHeard, transcribe } from './voice.fixtures.ts';
import { useVoiceEngines } from './voiceEngines.ts';

// Long enough for a loaded machine to answer through the stand-in, short enough to wait out in the hang test.
const TIMEOUT_MS = 3_000;
let dir: string;
beforeAll(async () => {
  dir = await createMediaDir();
});
afterAll(async () => {
  await removeMediaDir(dir);
});

describe('with OpenAI configured (a stand-in on loopback, the real SDK)', () => {
  let openai: OpenAIVoiceStandIn;
  let a: AttachmentsApp;
  let user: TestUser;
  beforeAll(async () => {
    openai = await startOpenAIVoiceStandIn();
    a = await startAttachmentsApp('local', {
      env: { OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: openai.baseUrl, CLOUD_ENGINE_TIMEOUT_MS: String(TIMEOUT_MS) },
    });
    user = await registerUser(a.t);
  });
  afterAll(async () => {
    await a?.close();
    await openai?.close();
  });

  it('transcribes with OpenAI, sending the model, the audio and the key', async () => {
    openai.mode = 'ok';
    openai.received.length = 0;
    const res = await transcribe(a.t, user, await speak(dir, 'openai answers this one'));
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      engine: 'openai',
      fallbacks: [],
      text: 'hello from the cloud',
      segments: [{ startMs: 0, endMs: 1500, text: 'hello from the cloud' }],
    });
    expect(openai.received).toEqual([
      {
        path: '/v1/audio/transcriptions',
        authorization: 'Bearer sk-test-key',
        contentType: expect.stringMatching(/^multipart\/form-data; boundary=/),
        fields: expect.objectContaining({
          model: 'whisper-1',
          response_format: 'verbose_json',
          language: 'en',
          file: { name: 'audio.wav', type: 'audio/wav', size: expect.any(Number) },
        }),
      },
    ]);
  });

  it('falls back to pocketsphinx when OpenAI answers 500, and says so', async () => {
    openai.mode = 'error';
    const text = 'hello world this is a test';
    const res = await transcribe(a.t, user, await speak(dir, text));
    expect(res.status).toBe(200);
    expect(res.body.data.engine).toBe('pocketsphinx');
    expect(res.body.data.fallbacks).toEqual([{ engine: 'openai', reason: expect.stringContaining('500') }]);
    expect(shareOfWordsHeard(text, res.body.data.text)).toBeGreaterThanOrEqual(0.5);
  });

  it('falls back to pocketsphinx within the deadline when OpenAI never answers', async () => {
    openai.mode = 'hang';
    const file = await speak(dir, 'good morning everyone');
    const started = Date.now();
    const res = await transcribe(a.t, user, file);
    const elapsed = Date.now() - started;
    expect(res.body.data).toMatchObject({
      engine: 'pocketsphinx',
      fallbacks: [{ engine: 'openai', reason: `no answer within ${TIMEOUT_MS} ms` }],
    });
    // The deadline, plus the local engine's own second or two.
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 6_000);
  });

  it('synthesizes with OpenAI, and with flite when OpenAI fails, naming it in X-Voice-Fallbacks', async () => {
    openai.mode = 'ok';
    openai.received.length = 0;
    const ok = await a.t.request.post('/api/voice/synthesize').set(bearer(user)).send({ text: 'hi there', voice: 'nova' });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-voice-engine']).toBe('openai');
    expect(openai.received[0]).toMatchObject({
      path: '/v1/audio/speech',
      authorization: 'Bearer sk-test-key',
      fields: { model: 'tts-1', voice: 'nova', input: 'hi there', response_format: 'wav' },
    });
    openai.mode = 'error';
    const failed = await a.t.request.post('/api/voice/synthesize').set(bearer(user)).send({ text: 'hi there' });
    expect(failed.status).toBe(200);
    expect(failed.headers['x-voice-engine']).toBe('flite');
    expect(failed.headers['x-voice-fallbacks']).toMatch(/^openai: .*500/);
  });

  it('lists OpenAI’s voices before the local ones', async () => {
    const res = await a.t.request.get('/api/voice/voices').set(bearer(user));
    const engines = res.body.data.map((v: { engine: string }) => v.engine);
    expect(engines[0]).toBe('openai');
    expect(engines.at(-1)).toBe('flite');
  });
});

describe('with only Google configured (a gRPC stand-in on loopback over TLS, the real client libraries)', () => {
  let google: GoogleSpeechStandIn;
  let a: AttachmentsApp;
  let user: TestUser;
  let keyFile: string | undefined;
  let email: string;
  beforeAll(async () => {
    keyFile = await writeServiceAccountKey();
    const key = JSON.parse(await fs.readFile(keyFile, 'utf8')) as { client_email: string; private_key: string };
    email = key.client_email;
    google = await startGoogleSpeechStandIn({
      tls: loopbackTls,
      serviceAccount: { email, publicKey: crypto.createPublicKey(key.private_key) },
    });
    a = await startAttachmentsApp('local', {
      env: {
        GOOGLE_APPLICATION_CREDENTIALS: keyFile,
        GOOGLE_API_ENDPOINT: google.endpoint,
        CLOUD_ENGINE_TIMEOUT_MS: '5000',
      },
    });
    user = await registerUser(a.t);
  });
  afterAll(async () => {
    await a?.close();
    await google?.close();
    if (keyFile) await fs.rm(path.dirname(keyFile), { recursive: true, force: true });
  });

  it('transcribes with Google: LINEAR16 at 16 kHz in the asked language', async () => {
    const res = await transcribe(a.t, user, await speak(dir, 'google answers this one'), { language: 'en-GB' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ engine: 'google', fallbacks: [], text: 'hello from google', language: 'en-GB' });
    expect(res.body.data.segments).toEqual([{ startMs: 0, endMs: 900, text: 'hello from google' }]);
    const recognize = google.received.find((r) => r.method === 'Recognize')!;
    expect(recognize.request).toMatchObject({
      config: { encoding: 'LINEAR16', sampleRateHertz: 16000, languageCode: 'en-GB', enableWordTimeOffsets: true },
      audio: { content: expect.any(Buffer) },
    });
    expect(recognize.token).toMatchObject({ iss: email, aud: 'https://speech.googleapis.com/' });
  });

  it('synthesizes with Google', async () => {
    const res = await a.t.request.post('/api/voice/synthesize').set(bearer(user)).send({ text: 'hi', format: 'mp3' });
    expect(res.status).toBe(200);
    expect(res.headers['x-voice-engine']).toBe('google');
    const synth = google.received.find((r) => r.method === 'SynthesizeSpeech')!;
    expect(synth.request).toMatchObject({ input: { text: 'hi' }, audioConfig: { audioEncoding: 'MP3' } });
    expect(synth.token).toMatchObject({ iss: email, aud: 'https://texttospeech.googleapis.com/' });
  });
});

describe('with a local engine missing', () => {
  let a: AttachmentsApp;
  let user: TestUser;
  beforeAll(async () => {
    a = await startAttachmentsApp('local');
    useVoiceEngines(
      a.t.services,
      new VoiceEngines(a.t.config, a.t.services.log, {
        tools: { pocketsphinx: '/nonexistent/pocketsphinx_continuous', flite: '/nonexistent/flite' },
      }),
    );
    user = await registerUser(a.t);
  });
  afterAll(() => a?.close());

  it('answers 503 engine_unavailable naming the Debian package, and keeps nothing', async () => {
    const res = await transcribe(a.t, user, await speak(dir, 'nobody hears this'));
    expectError(res, 503, 'engine_unavailable');
    expect(res.body.error.message).toContain('pocketsphinx-en-us');
    expect(await a.storedKeys('voice/')).toEqual([]);
    const synth = await a.t.request.post('/api/voice/synthesize').set(bearer(user)).send({ text: 'hello' });
    expectError(synth, 503, 'engine_unavailable');
    expect(synth.body.error.message).toContain('`flite`');
  });
});
