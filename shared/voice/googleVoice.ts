import type { SpeechClient } from '@google-cloud/speech';
import type { TextToSpeechClient } from '@google-cloud/text-to-speech';
import { optionsForOneClient, type GoogleClientOptions } from '../cloud/google.ts';
import type { AudioFormat, Segment, Transcript, Voice } from './types.ts';
import { SAMPLE_RATE } from './wav.ts';

/** A few of Google's standard voices; the service has hundreds, these cover the languages people ask for most. */
export const GOOGLE_VOICES: Voice[] = [
  { id: 'en-US-Standard-C', name: 'US English C (female)', engine: 'google', language: 'en-US' },
  { id: 'en-US-Standard-D', name: 'US English D (male)', engine: 'google', language: 'en-US' },
  { id: 'en-GB-Standard-A', name: 'British English A (female)', engine: 'google', language: 'en-GB' },
  { id: 'fr-FR-Standard-A', name: 'French A (female)', engine: 'google', language: 'fr-FR' },
  { id: 'de-DE-Standard-A', name: 'German A (female)', engine: 'google', language: 'de-DE' },
];

const GOOGLE_ENCODINGS: Record<AudioFormat, 'LINEAR16' | 'OGG_OPUS' | 'MP3'> = { wav: 'LINEAR16', ogg: 'OGG_OPUS', mp3: 'MP3' };

/**
 * The two Google clients, built once per set of options (each holds a gRPC channel) and loaded only
 * when Google is configured: the client libraries take ~0.7 s to load, which others need not pay.
 */
export class GoogleVoice {
  private speechClient?: Promise<SpeechClient>;
  private ttsClient?: Promise<TextToSpeechClient>;

  constructor(private readonly options: GoogleClientOptions) {
    // Loading starts now, not at the first request, whose cloud deadline would otherwise pay for it.
    this.speech().catch(() => {});
    this.tts().catch(() => {});
  }

  // The clients' option type is an open record; ours names the fields we set.
  private speech(): Promise<SpeechClient> {
    return (this.speechClient ??= import('@google-cloud/speech').then(
      ({ SpeechClient }) => new SpeechClient(optionsForOneClient(this.options)),
    ));
  }

  private tts(): Promise<TextToSpeechClient> {
    return (this.ttsClient ??= import('@google-cloud/text-to-speech').then(
      ({ TextToSpeechClient }) => new TextToSpeechClient(optionsForOneClient(this.options)),
    ));
  }

  /** Speech to text with synchronous `recognize` (chunks are at most 30 s; it takes 60), word times on. */
  async transcribe(pcm: Buffer, options: { language: string; signal?: AbortSignal }): Promise<Transcript> {
    const call = (await this.speech()).recognize({
      config: { encoding: 'LINEAR16', sampleRateHertz: SAMPLE_RATE, languageCode: options.language, enableWordTimeOffsets: true },
      audio: { content: pcm.toString('base64') },
    });
    const [response] = await abortable(call, options.signal);
    const segments: Segment[] = [];
    for (const result of response.results ?? []) {
      const best = result.alternatives?.[0];
      const text = best?.transcript?.trim();
      if (!best || !text) continue;
      const words = best.words ?? [];
      segments.push({ startMs: toMs(words[0]?.startTime), endMs: toMs(words.at(-1)?.endTime ?? result.resultEndTime), text });
    }
    return { text: segments.map((s) => s.text).join(' '), segments };
  }

  /** Text to speech; the voice's language is read from its name (`en-US-Standard-C` → `en-US`). */
  async synthesize(text: string, options: { voice: string; format: AudioFormat; signal?: AbortSignal }): Promise<Buffer> {
    const voice = GOOGLE_VOICES.find((v) => v.id === options.voice) ?? GOOGLE_VOICES[0]!;
    const call = (await this.tts()).synthesizeSpeech({
      input: { text },
      voice: { languageCode: voice.language, name: voice.id },
      audioConfig: { audioEncoding: GOOGLE_ENCODINGS[options.format], sampleRateHertz: SAMPLE_RATE },
    });
    const [response] = await abortable(call, options.signal);
    return Buffer.from(response.audioContent ?? new Uint8Array());
  }

  async close(): Promise<void> {
    await Promise.all([this.speechClient?.then((client) => client.close()), this.ttsClient?.then((client) => client.close())]);
  }
}

type Duration = { seconds?: number | string | null | { toString(): string }; nanos?: number | null } | null | undefined;

const toMs = (duration: Duration) => Math.round(Number(duration?.seconds ?? 0) * 1000 + (duration?.nanos ?? 0) / 1e6);

/** A gax call (a promise with `cancel`) that is cancelled when `signal` aborts. */
function abortable<T>(call: Promise<T> & { cancel?: () => void }, signal?: AbortSignal): Promise<T> {
  if (!signal) return call;
  const onAbort = () => call.cancel?.();
  signal.addEventListener('abort', onAbort, { once: true });
  return call.finally(() => signal.removeEventListener('abort', onAbort));
}
