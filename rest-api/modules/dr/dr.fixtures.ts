import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { expect } from '@jest/globals';
import type { ObjectStorage } from '@shared/storage/ObjectStorage.ts';
import { startTestApp, type TestApp, type TestBackend } from '../../../test/http.ts';
import { bearer, type TestUser } from '../../../test/factories.ts';
import { waitUntil } from '../../../test/jobs.ts';

/** A test app whose object store is a temporary directory of its own. */
export async function startDrApp(backend: TestBackend, env: Record<string, string> = {}): Promise<TestApp & { storageDir: string }> {
  const storageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-dr-'));
  const t = await startTestApp({ backend, env: { STORAGE_DIR: storageDir, ...env } });
  return {
    ...t,
    storageDir,
    close: async () => {
      try {
        await t.close();
      } finally {
        await fs.rm(storageDir, { recursive: true, force: true });
      }
    },
  };
}

type Backup = { id: string; status: string; bytes: number | null; tables: Array<{ name: string; rows: number }> | null };

/** Waits until the backup is no longer being made or checked; returns it as the API shows it. */
export async function settledBackup(t: TestApp, operator: TestUser, id: string): Promise<Backup & Record<string, unknown>> {
  let backup: Backup & Record<string, unknown> = { id, status: 'running', bytes: null, tables: null };
  await waitUntil(
    `backup ${id} to settle`,
    async () => {
      const res = await t.request.get(`/api/dr/backups/${id}`).set(bearer(operator));
      expect(res.status).toBe(200);
      backup = res.body.data;
      return backup.status !== 'running' && backup.status !== 'verifying';
    },
    60_000,
  );
  return backup;
}

/** Starts a backup through the API and waits for its verification. */
export async function backUpAndSettle(t: TestApp, operator: TestUser) {
  const res = await t.request.post('/api/dr/backups').set(bearer(operator)).send({ kind: 'logical' });
  expect(res.status).toBe(202);
  return settledBackup(t, operator, res.body.data.id);
}

/** Waits until the restore has succeeded or failed; returns it. */
export async function settledRestore(t: TestApp, operator: TestUser, id: string) {
  let restore: { status: string; databaseName: string | null; error: unknown } = { status: 'pending', databaseName: null, error: null };
  await waitUntil(
    `restore ${id} to settle`,
    async () => {
      const res = await t.request.get(`/api/dr/restores/${id}`).set(bearer(operator));
      if (res.status === 503) return false;
      if (res.status !== 200) throw new Error(`GET restore answered ${res.status}: ${res.text}`);
      restore = res.body.data;
      return restore.status === 'succeeded' || restore.status === 'failed';
    },
    60_000,
  );
  return restore;
}

/** Changes one byte of a stored object, as storage rot or tampering would. */
export async function flipOneByte(storage: ObjectStorage, key: string): Promise<void> {
  const bytes = await buffer((await storage.get(key)).body);
  const offset = Math.floor(bytes.length / 2);
  bytes.writeUInt8(bytes.readUInt8(offset) ^ 0x04, offset);
  await storage.put(key, Readable.from([bytes]), { contentType: 'application/octet-stream' });
}
