import type { OpenAI } from 'openai';
import { joinSegments, type AudioFormat, type Transcript, type Voice } from './types.ts';
import { pcmToWav } from './wav.ts';

/** OpenAI's voices for text to speech (tts-1 and gpt-4o-mini-tts alike). */
export const OPENAI_VOICES: Voice[] = ['alloy', 'ash', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer'].map((id) => ({
  id,
  name: id[0]!.toUpperCase() + id.slice(1),
  engine: 'openai',
  language: 'multilingual',
}));

/** What OpenAI's speech endpoint is asked for, per format we answer in (`opus` comes in an Ogg container). */
const OPENAI_FORMATS: Record<AudioFormat, 'wav' | 'opus' | 'mp3'> = { wav: 'wav', ogg: 'opus', mp3: 'mp3' };

/** Whisper's `verbose_json` answer: the text and its segments in seconds. */
interface VerboseTranscription {
  text: string;
  segments?: Array<{ start: number; end: number; text: string }>;
}

/**
 * Speech to text through the official SDK: normalised PCM sent as WAV, `verbose_json` for segment
 * times. The language is sent as ISO-639-1 (`en-US` → `en`), as OpenAI takes it.
 */
export async function transcribeWithOpenAI(
  client: OpenAI,
  model: string,
  pcm: Buffer,
  options: { language: string; signal?: AbortSignal },
): Promise<Transcript> {
  const { toFile } = await import('openai');
  const file = await toFile(pcmToWav(pcm), 'audio.wav', { type: 'audio/wav' });
  const answer = (await client.audio.transcriptions.create(
    {
      file,
      model,
      response_format: 'verbose_json',
      timestamp_granularities: ['segment'],
      language: options.language.split('-')[0]!.toLowerCase(),
    },
    { signal: options.signal },
  )) as unknown as VerboseTranscription;
  const segments = (answer.segments ?? []).map((s) => ({
    startMs: Math.round(s.start * 1000),
    endMs: Math.round(s.end * 1000),
    text: s.text.trim(),
  }));
  return { text: segments.length > 0 ? joinSegments(segments) : answer.text.trim(), segments };
}

/** Text to speech through the official SDK, in the format asked for. */
export async function synthesizeWithOpenAI(
  client: OpenAI,
  model: string,
  text: string,
  options: { voice: string; format: AudioFormat; signal?: AbortSignal },
): Promise<Buffer> {
  const voice = OPENAI_VOICES.some((v) => v.id === options.voice) ? options.voice : 'alloy';
  const response = await client.audio.speech.create(
    { model, voice, input: text, response_format: OPENAI_FORMATS[options.format] },
    { signal: options.signal },
  );
  return Buffer.from(await response.arrayBuffer());
}
