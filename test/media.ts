import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A scratch folder for generated media, removed by `removeMediaDir`. */
export async function createMediaDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-media-'));
}

export async function removeMediaDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** `text` spoken by Debian's flite into a 16 kHz mono WAV file in `dir`; returns its path. */
export async function speak(dir: string, text: string, options: { voice?: string; name?: string } = {}): Promise<string> {
  const file = path.join(dir, options.name ?? `speech-${Date.now()}-${Math.random().toString(36).slice(2)}.wav`);
  await run('flite', ['-voice', options.voice ?? 'slt', '-t', text, '-o', file]);
  return file;
}

/** `seconds` of silence as 16 kHz mono WAV (ffmpeg's anullsrc); returns its path. */
export async function silence(dir: string, seconds: number): Promise<string> {
  const file = path.join(dir, `silence-${seconds}s-${Date.now()}.wav`);
  await ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', String(seconds), file]);
  return file;
}

/** Audio file `input` re-encoded by its extension (`.ogg`/`.webm` → Opus, `.mp3`, `.m4a` → AAC); returns the new path. */
export async function encodeAs(input: string, extension: 'ogg' | 'webm' | 'mp3' | 'm4a'): Promise<string> {
  const output = input.replace(/\.[^.]+$/, `.${extension}`);
  const codec = { ogg: 'libopus', webm: 'libopus', mp3: 'libmp3lame', m4a: 'aac' }[extension];
  await ffmpeg(['-i', input, '-c:a', codec, output]);
  return output;
}

/** The files joined end to end into one WAV (same format assumed); returns its path. */
export async function concatenate(dir: string, inputs: string[], name = `joined-${Date.now()}.wav`): Promise<string> {
  const list = path.join(dir, `${name}.txt`);
  await fs.writeFile(list, inputs.map((file) => `file '${file.replaceAll("'", "'\\''")}'`).join('\n'));
  const output = path.join(dir, name);
  await ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', output]);
  return output;
}

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}
