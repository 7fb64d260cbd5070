import { spawn, spawnSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import { BackupFailedError } from './errors.ts';

let isInstalled: boolean | undefined;

/** Whether Debian's `zstd` tool is on PATH (checked once per process). */
export function hasZstdTool(): boolean {
  isInstalled ??= spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0;
  return isInstalled;
}

/**
 * Compresses what another process writes to `input` (its stdout pipe) in a `zstd -3` process that reads the pipe
 * itself: the archive goes from pg_dump to zstd in the kernel, and this process sees only the compressed bytes.
 * Measured on a 1 GiB database, node:zlib's zstd took ~1.45× the tool's time for the same level and output (its
 * per-chunk hops through the thread pool), which made the product's backup 1.7× a hand-made `pg_dump | zstd`.
 * Same format either way (zstd frames with their checksum), so restores read both.
 */
export function spawnZstdCompressor(input: Readable, signal: AbortSignal): { output: Readable; exited: Promise<void> } {
  const child = spawn('zstd', ['-3', '-q', '-c'], { stdio: [input, 'pipe', 'pipe'], signal, killSignal: 'SIGTERM' });
  // zstd holds its own copy of the pipe: this process must not read it too.
  input.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr = (stderr + text).slice(-2_000)));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (error) => reject(new BackupFailedError('zstd_failed', `zstd could not run: ${error.message}`, { cause: error })));
    child.on('close', (code, killedBy) =>
      code === 0
        ? resolve()
        : reject(
            new BackupFailedError('zstd_failed', `zstd ${killedBy ? `was stopped by ${killedBy}` : `exited with ${code}`}: ${stderr}`),
          ),
    );
  });
  exited.catch(() => {});
  return { output: child.stdout, exited };
}
