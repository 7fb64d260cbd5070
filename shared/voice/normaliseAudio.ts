import { runTool, ToolFailedError, type Tool } from './runTool.ts';
import { pcmDurationMs, SAMPLE_RATE } from './wav.ts';
import { notAudio, tooLong } from './voiceErrors.ts';

/** Decoded audio as every engine takes it: 16 kHz mono s16le PCM, silence trimmed at both ends. */
export interface NormalisedAudio {
  pcm: Buffer;
  durationMs: number;
}

/** Quieter than this is silence for trimming: well under speech, above a quiet room's noise floor. */
const SILENCE_THRESHOLD = '-50dB';

/**
 * Leading silence is removed, then the audio is reversed so the same filter removes the trailing
 * silence, and reversed back; pauses inside the speech are kept (their timing is the segments').
 */
const TRIM_SILENCE = [
  `silenceremove=start_periods=1:start_threshold=${SILENCE_THRESHOLD}`,
  'areverse',
  `silenceremove=start_periods=1:start_threshold=${SILENCE_THRESHOLD}`,
  'areverse',
].join(',');

/**
 * Decodes any audio file to normalised PCM with ffmpeg (Debian's). Why ffmpeg rather than an npm decoder:
 * OpenAI's list of formats — wav, ogg/opus, webm/opus, mp3, m4a (AAC in MP4) — spans several containers
 * and codecs, and no npm decoder reads them all (opus in webm and AAC in MP4 in particular); ffmpeg does,
 * resamples and trims in one pass. A file with no decodable audio stream is 415. Decoding stops just past
 * `maxSeconds`, so an over-long recording is refused (400) without being decoded whole.
 */
export async function normaliseAudio(
  ffmpeg: Tool,
  inputPath: string,
  options: { maxSeconds: number; trim?: boolean; signal?: AbortSignal },
): Promise<NormalisedAudio> {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', inputPath, '-map', '0:a:0', '-vn', '-ac', '1'];
  args.push('-ar', String(SAMPLE_RATE));
  if (options.trim ?? true) args.push('-af', TRIM_SILENCE);
  args.push('-t', String(options.maxSeconds + 1), '-f', 's16le', '-acodec', 'pcm_s16le', 'pipe:1');
  let pcm: Buffer;
  try {
    pcm = (await runTool(ffmpeg, args, { signal: options.signal })).stdout;
  } catch (error) {
    if (error instanceof ToolFailedError) throw notAudio(error.stderr.trim().split('\n').at(-1) ?? 'ffmpeg failed');
    throw error;
  }
  const durationMs = pcmDurationMs(pcm.length);
  if (durationMs > options.maxSeconds * 1000) throw tooLong(options.maxSeconds);
  return { pcm, durationMs };
}
