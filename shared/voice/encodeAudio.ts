import { runTool, type Tool } from './runTool.ts';
import type { AudioFormat } from './types.ts';

/** ffmpeg's encoder and container for each format this capability answers in. */
const ENCODINGS: Record<Exclude<AudioFormat, 'wav'>, string[]> = {
  ogg: ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'],
  mp3: ['-c:a', 'libmp3lame', '-q:a', '5', '-f', 'mp3'],
};

/** WAV bytes re-encoded as `format` by ffmpeg (read from stdin, written to stdout); WAV is returned as is. */
export async function encodeWav(ffmpeg: Tool, wav: Buffer, format: AudioFormat, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
  if (format === 'wav') return wav;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'wav', '-i', 'pipe:0', ...ENCODINGS[format], 'pipe:1'];
  return (await runTool(ffmpeg, args, { input: wav, signal: options.signal })).stdout;
}
