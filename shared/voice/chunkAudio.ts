import { SAMPLE_RATE } from './wav.ts';

/** A piece of a recording, in bytes of its PCM, with where it starts in milliseconds. */
export interface AudioChunk {
  pcm: Buffer;
  offsetMs: number;
}

/** Longest chunk sent to an engine: Google's synchronous recognize takes 60 s, pocketsphinx keeps pace best on short ones. */
export const MAX_CHUNK_SECONDS = 30;
/** How far back from a chunk's longest end a quieter cut point is looked for. */
const SEARCH_BACK_SECONDS = 10;
/** Loudness is compared over frames this long. */
const FRAME_SAMPLES = SAMPLE_RATE / 10;

/**
 * Splits 16 kHz mono s16le PCM into chunks of at most `maxSeconds`, each cut at the quietest 100 ms
 * in the last ten seconds before its limit — usually a pause between words, so no word is cut in two —
 * and each knowing its offset, so the segments of all chunks can be put back on one timeline.
 */
export function chunkAudio(pcm: Buffer, maxSeconds = MAX_CHUNK_SECONDS): AudioChunk[] {
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.length / 2));
  const maxSamples = maxSeconds * SAMPLE_RATE;
  const searchBack = Math.min(SEARCH_BACK_SECONDS * SAMPLE_RATE, Math.floor(maxSamples / 2));
  const chunks: AudioChunk[] = [];
  let start = 0;
  while (start < samples.length) {
    let end = samples.length;
    if (end - start > maxSamples) end = quietestCut(samples, start + maxSamples - searchBack, start + maxSamples);
    chunks.push({ pcm: pcm.subarray(start * 2, end * 2), offsetMs: Math.round((start / SAMPLE_RATE) * 1000) });
    start = end;
  }
  return chunks;
}

/** The middle of the quietest frame between `from` and `to` (sample indexes). */
function quietestCut(samples: Int16Array, from: number, to: number): number {
  let best = to;
  let bestEnergy = Infinity;
  for (let frame = from; frame + FRAME_SAMPLES <= to; frame += FRAME_SAMPLES) {
    let energy = 0;
    for (let i = frame; i < frame + FRAME_SAMPLES; i++) energy += samples[i]! * samples[i]!;
    if (energy < bestEnergy) {
      bestEnergy = energy;
      best = frame + FRAME_SAMPLES / 2;
    }
  }
  return best;
}
