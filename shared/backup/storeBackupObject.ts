import { PassThrough } from 'node:stream';
import { ConflictError } from '../errors.ts';
import type { ObjectStorage } from '../storage/ObjectStorage.ts';

/** The errors a stream reports when another stream of its pipeline failed first: never the cause worth reporting. */
const CONSEQUENTIAL = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_UNABLE_TO_PIPE']);
const isConsequential = (error: unknown) => CONSEQUENTIAL.has((error as { code?: string } | null)?.code ?? '');

/**
 * Streams what `produce` writes into a new object at `key`. A backup never replaces another (`backup_exists`).
 * When either side fails — the producer (pg_dump, an abort) or the store (unreachable, full) — both are stopped,
 * nothing stays under `key`, and the error thrown is the cause, not the broken pipe it left behind.
 */
export async function storeBackupObject(
  storage: ObjectStorage,
  key: string,
  signal: AbortSignal,
  produce: (body: PassThrough) => Promise<void>,
): Promise<{ key: string; bytes: number; sha256: string }> {
  if (await storage.head(key)) throw new ConflictError(`A backup already exists at ${key}`, 'backup_exists');
  signal.throwIfAborted();
  const body = new PassThrough();
  const produced = produce(body).catch((error: unknown) => {
    body.destroy(error as Error);
    throw error;
  });
  const [put, production] = await Promise.allSettled([storage.put(key, body, { contentType: 'application/octet-stream' }), produced]);
  if (put.status === 'fulfilled' && production.status === 'fulfilled') {
    return { key, bytes: put.value.size, sha256: put.value.sha256 };
  }
  body.destroy();
  // put already removes what it wrote when it fails; this covers a put that finished before the producer failed.
  await storage.delete(key).catch(() => {});
  const errors = [production, put].flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
  if (signal.aborted) throw signal.reason;
  throw errors.find((error) => !isConsequential(error)) ?? errors[0];
}
