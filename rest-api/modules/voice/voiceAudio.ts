import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStorage } from '@shared/storage/index.ts';

/**
 * Runs `use` with the stored object copied to a scratch file, removed afterwards. A file rather than a
 * pipe into ffmpeg: an m4a (MP4) may keep its index at the end, which ffmpeg must seek to.
 */
export async function withStoredFile<T>(storage: ObjectStorage, key: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'twinmcp-voice-'));
  try {
    const file = path.join(dir, 'audio');
    const object = await storage.get(key);
    await pipeline(object.body, fs.createWriteStream(file));
    return await use(file);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
