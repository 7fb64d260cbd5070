import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A tmpfs of its own, mounted on a temp directory (as root), that a scenario fills up and empties again. */
export interface SmallFilesystem {
  directory: string;
  /** Writes a filler file until at most `leaveBytes` remain free; returns the bytes left free. */
  fill(leaveBytes: number): Promise<number>;
  /** Deletes the filler: the space is back. */
  free(): Promise<void>;
  /** Unmounts it and removes the directory; safe to call twice. */
  close(): Promise<void>;
}

/** Mounts a `sizeBytes` tmpfs on a new temp directory. Needs root (mount(8)); fails with the reason otherwise. */
export async function mountSmallFilesystem(sizeBytes: number): Promise<SmallFilesystem> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'chaos-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', directory]);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw new Error(`mounting a ${sizeBytes}-byte tmpfs needs root: ${(error as Error).message}`, { cause: error });
  }
  const filler = path.join(directory, 'filler');
  const freeBytes = async () => {
    const stats = await statfs(directory);
    return stats.bavail * stats.bsize;
  };
  let isMounted = true;
  return {
    directory,
    async fill(leaveBytes) {
      const file = await open(filler, 'a');
      try {
        const chunk = Buffer.alloc(4096, 1);
        while ((await freeBytes()) > leaveBytes) await file.write(chunk);
      } finally {
        await file.close();
      }
      return freeBytes();
    },
    free: () => rm(filler, { force: true }),
    async close() {
      if (!isMounted) return;
      isMounted = false;
      await run('umount', ['-l', directory]).catch(() => {});
      await rm(directory, { recursive: true, force: true });
    },
  };
}
