import type { Config } from '../config.ts';
import { googleClientOptions, type GoogleClientOptions } from '../cloud/google.ts';
import { createOpenAI, type LazyOpenAI } from '../cloud/openai.ts';
import { withFallback, type Engine, type EngineFailure } from '../cloud/withFallback.ts';
import type { Logger } from '../logger.ts';
import { chunkAudio } from './chunkAudio.ts';
import { encodeWav } from './encodeAudio.ts';
import { DEFAULT_FLITE_VOICE, FLITE_VOICES, synthesizeWithFlite } from './flite.ts';
import { GOOGLE_VOICES, GoogleVoice } from './googleVoice.ts';
import { normaliseAudio, type NormalisedAudio } from './normaliseAudio.ts';
import { OPENAI_VOICES, synthesizeWithOpenAI, transcribeWithOpenAI } from './openaiVoice.ts';
import { transcribeWithPocketsphinx } from './pocketsphinx.ts';
import type { Tool } from './runTool.ts';
import { joinSegments, type AudioFormat, type Segment, type Transcript, type Voice } from './types.ts';

/** The local programs, each with the Debian package that installs it. Paths are injectable (tests name a missing one). */
export interface LocalTools {
  ffmpeg: Tool;
  pocketsphinx: Tool;
  flite: Tool;
}

export const DEBIAN_TOOLS: LocalTools = {
  ffmpeg: { path: 'ffmpeg', debianPackage: 'ffmpeg' },
  pocketsphinx: { path: 'pocketsphinx_continuous', debianPackage: 'pocketsphinx pocketsphinx-en-us' },
  flite: { path: 'flite', debianPackage: 'flite' },
};

export interface VoiceEngineOptions {
  /** Paths of the local programs, over DEBIAN_TOOLS. */
  tools?: Partial<Record<keyof LocalTools, string>>;
  /** Over what GOOGLE_* gives (tests pass insecure `sslCreds` for a loopback stand-in). */
  google?: Partial<GoogleClientOptions>;
  /** Chunks transcribed at once: two, for the two cores a small server has. */
  parallelChunks?: number;
}

/** A transcription and who made it. */
export interface TranscriptionResult extends Transcript {
  engine: string;
  fallbacks: EngineFailure[];
}

/** Synthesized speech and who made it. */
export interface SpeechResult {
  audio: Buffer;
  format: AudioFormat;
  engine: string;
  fallbacks: EngineFailure[];
}

type Settings = Pick<
  Config,
  | 'OPENAI_API_KEY'
  | 'OPENAI_BASE_URL'
  | 'OPENAI_TRANSCRIBE_MODEL'
  | 'OPENAI_TTS_MODEL'
  | 'CLOUD_ENGINE_TIMEOUT_MS'
  | 'GOOGLE_APPLICATION_CREDENTIALS'
  | 'GOOGLE_API_ENDPOINT'
  | 'VOICE_MAX_SECONDS'
>;

/**
 * Speech to text and text to speech with the engines this deployment has, in order of preference:
 * OpenAI (OPENAI_API_KEY), Google (GOOGLE_APPLICATION_CREDENTIALS), then the local ones, pocketsphinx
 * and flite, which always are. A cloud engine that fails or misses CLOUD_ENGINE_TIMEOUT_MS hands over
 * to the next (shared/cloud/withFallback), and the result names the engine that answered and those that
 * failed before it.
 */
export class VoiceEngines {
  readonly tools: LocalTools;
  private readonly openai?: LazyOpenAI;
  private readonly google?: GoogleVoice;
  private readonly parallelChunks: number;

  constructor(
    private readonly config: Settings,
    private readonly log: Logger,
    options: VoiceEngineOptions = {},
  ) {
    const path = (name: keyof LocalTools) => ({ ...DEBIAN_TOOLS[name], path: options.tools?.[name] ?? DEBIAN_TOOLS[name].path });
    this.tools = { ffmpeg: path('ffmpeg'), pocketsphinx: path('pocketsphinx'), flite: path('flite') };
    this.openai = createOpenAI(config);
    const google = googleClientOptions(config);
    if (google) this.google = new GoogleVoice({ ...google, ...options.google });
    this.parallelChunks = options.parallelChunks ?? 2;
  }

  /** Any audio file decoded to 16 kHz mono PCM, silence trimmed; 415 when it holds no audio, 400 past VOICE_MAX_SECONDS. */
  normalise(file: string, options: { trim?: boolean; signal?: AbortSignal } = {}): Promise<NormalisedAudio> {
    return normaliseAudio(this.tools.ffmpeg, file, { maxSeconds: this.config.VOICE_MAX_SECONDS, ...options });
  }

  /**
   * Transcribes normalised PCM: cut into chunks of at most 30 s at pauses, `parallelChunks` at a time,
   * their segments put back on one timeline. `onProgress` hears the share of chunks done (0..1).
   */
  async transcribe(
    pcm: Buffer,
    options: { language: string; signal?: AbortSignal; onProgress?: (done: number) => Promise<void> | void },
  ): Promise<TranscriptionResult> {
    const { language, signal } = options;
    const engines: Array<Engine<Transcript>> = [];
    const { openai, google } = this;
    if (openai) {
      engines.push({
        name: 'openai',
        run: (s) =>
          this.overChunks(pcm, (chunk) =>
            openai().then((client) => transcribeWithOpenAI(client, this.config.OPENAI_TRANSCRIBE_MODEL, chunk, { language, signal: s })),
          ),
      });
    }
    if (google)
      engines.push({ name: 'google', run: (s) => this.overChunks(pcm, (chunk) => google.transcribe(chunk, { language, signal: s })) });
    engines.push({
      name: 'pocketsphinx',
      run: (s) =>
        this.overChunks(pcm, (chunk) => transcribeWithPocketsphinx(this.tools.pocketsphinx, chunk, { signal: s }), options.onProgress),
    });
    // A long recording holds a cloud engine to one deadline per chunk, not one for all of them.
    const chunks = Math.max(1, Math.ceil(pcm.length / (30 * 32_000)));
    const result = await withFallback(engines, { timeoutMs: this.config.CLOUD_ENGINE_TIMEOUT_MS * chunks, log: this.log, signal });
    return { ...result.value, engine: result.engine, fallbacks: result.fallbacks };
  }

  /**
   * Transcribes with the local engine alone: for partial transcripts while a recording streams in, where
   * a cloud round trip every second would cost too much.
   */
  transcribeLocally(pcm: Buffer, options: { signal?: AbortSignal } = {}): Promise<Transcript> {
    return this.overChunks(pcm, (chunk) => transcribeWithPocketsphinx(this.tools.pocketsphinx, chunk, options));
  }

  /** Speaks `text` in `format`; `voice` is the engine's own (unknown ones get its default). */
  async synthesize(text: string, options: { voice?: string; format: AudioFormat; signal?: AbortSignal }): Promise<SpeechResult> {
    const { format } = options;
    const voice = options.voice ?? '';
    const engines: Array<Engine<Buffer>> = [];
    const { openai, google } = this;
    if (openai) {
      engines.push({
        name: 'openai',
        run: async (signal) => synthesizeWithOpenAI(await openai(), this.config.OPENAI_TTS_MODEL, text, { voice, format, signal }),
      });
    }
    if (google) engines.push({ name: 'google', run: (signal) => google.synthesize(text, { voice, format, signal }) });
    engines.push({
      name: 'flite',
      run: async (signal) => {
        const wav = await synthesizeWithFlite(this.tools.flite, text, voice || DEFAULT_FLITE_VOICE, { signal });
        return encodeWav(this.tools.ffmpeg, wav, format, { signal });
      },
    });
    const result = await withFallback(engines, { timeoutMs: this.config.CLOUD_ENGINE_TIMEOUT_MS, log: this.log, signal: options.signal });
    return { audio: result.value, format, engine: result.engine, fallbacks: result.fallbacks };
  }

  /** The voices of every configured engine, the preferred engine's first. */
  voices(): Voice[] {
    return [...(this.openai ? OPENAI_VOICES : []), ...(this.google ? GOOGLE_VOICES : []), ...FLITE_VOICES];
  }

  async close(): Promise<void> {
    await this.google?.close();
  }

  /** Runs `transcribeChunk` over the chunks of `pcm`, a few at a time, and merges the segments at their offsets. */
  private async overChunks(
    pcm: Buffer,
    transcribeChunk: (chunk: Buffer) => Promise<Transcript>,
    onProgress?: (done: number) => Promise<void> | void,
  ): Promise<Transcript> {
    const chunks = chunkAudio(pcm);
    const results = new Array<Transcript>(chunks.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const index = next++;
        results[index] = await transcribeChunk(chunks[index]!.pcm);
        done++;
        await onProgress?.(done / chunks.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.parallelChunks, chunks.length) }, worker));
    const segments: Segment[] = results.flatMap((result, index) =>
      result.segments.map((s) => ({
        startMs: s.startMs + chunks[index]!.offsetMs,
        endMs: s.endMs + chunks[index]!.offsetMs,
        text: s.text,
      })),
    );
    // An engine that answers text without times (a cloud's plain answer) still counts.
    const text =
      segments.length > 0
        ? joinSegments(segments)
        : results
            .map((r) => r.text)
            .filter(Boolean)
            .join(' ');
    return { text, segments };
  }
}
