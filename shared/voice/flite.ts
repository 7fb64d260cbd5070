import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runTool, type Tool } from './runTool.ts';
import type { Voice } from './types.ts';

/** flite's built-in voices: all US English; slt, kal16, rms and awb speak at 16 kHz. */
export const FLITE_VOICES: Voice[] = [
  { id: 'slt', name: 'SLT (female, US English)', engine: 'flite', language: 'en-US' },
  { id: 'kal16', name: 'Kal (male, US English)', engine: 'flite', language: 'en-US' },
  { id: 'rms', name: 'RMS (male, US English)', engine: 'flite', language: 'en-US' },
  { id: 'awb', name: 'AWB (male, Scottish English)', engine: 'flite', language: 'en-US' },
];

export const DEFAULT_FLITE_VOICE = 'slt';

/**
 * Speaks `text` with Debian's flite into WAV bytes. The text goes through a file (`-f`), not the
 * command line: 5,000 characters are fine either way, but a file never reads a leading `-` as an option.
 */
export async function synthesizeWithFlite(
  tool: Tool,
  text: string,
  voice: string,
  options: { signal?: AbortSignal } = {},
): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-flite-'));
  try {
    const input = path.join(dir, 'text.txt');
    const output = path.join(dir, 'speech.wav');
    await fs.writeFile(input, text);
    const known = FLITE_VOICES.some((v) => v.id === voice) ? voice : DEFAULT_FLITE_VOICE;
    await runTool(tool, ['-voice', known, '-f', input, '-o', output], options);
    return await fs.readFile(output);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
