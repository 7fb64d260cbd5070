import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { grantOperator } from '@shared/operators.ts';
import { copyKeyOf } from '@shared/backup/mediaManifest.ts';
import { LocalStorage } from '@shared/storage/LocalStorage.ts';
import { writeUserWithConversations } from '../../../test/backupDatabase.ts';
import { bearer, registerUser, type TestUser } from '../../../test/factories.ts';
import { startS3, type TestS3 } from '../../../test/s3.ts';
import { backUpAndSettle, flipOneByte, settledBackup, settledRestore, startDrApp } from './dr.fixtures.ts';

type App = Awaited<ReturnType<typeof startDrApp>>;
type Media = { objects: number; bytes: number; missing: string[]; copy: { copied: number; skipped: number; bytesCopied: number } | null };

/** An attachment row and its object in the app's storage, as an upload leaves them; returns its key and hash. */
async function attach(t: App, conversationId: string, size = 5000): Promise<{ key: string; sha256: string }> {
  const bytes = crypto.randomBytes(size);
  const key = `attachments/${conversationId}/${crypto.randomUUID()}`;
  const stored = await t.services.storage.put(key, Readable.from([bytes]), { contentType: 'application/octet-stream' });
  await t.services.db('attachments').insert({
    conversation_id: conversationId,
    name: 'file.bin',
    content_type: 'application/octet-stream',
    size,
    sha256: stored.sha256,
    storage_key: key,
  });
  return { key, sha256: stored.sha256 };
}

async function someConversation(t: App): Promise<string> {
  const email = await writeUserWithConversations(t.services.db, 1);
  const row = await t.services
    .db('conversations')
    .join('users', 'users.id', 'conversations.owner_id')
    .where('users.email', email)
    .first('conversations.id');
  return row.id;
}

describe('attachments and media in the backup set: main store local, backup copies on S3', () => {
  let s3: TestS3;
  let t: App;
  let operator: TestUser;
  const objects: Array<{ key: string; sha256: string }> = [];
  const scratchDatabases: string[] = [];

  beforeAll(async () => {
    s3 = await startS3();
    const { S3_BUCKET, ...s3Env } = s3.env;
    t = await startDrApp('postgres', { ...s3Env, BACKUP_S3_BUCKET: S3_BUCKET!, BACKUP_RETENTION: '1000b' });
    operator = await registerUser(t);
    await grantOperator(t.services.db, operator.email, 'cli');
    const conversationId = await someConversation(t);
    for (let i = 0; i < 3; i += 1) objects.push(await attach(t, conversationId));
  }, 60_000);

  afterAll(async () => {
    for (const name of scratchDatabases) await t.services.db.raw('drop database if exists ?? with (force)', [name]);
    await t?.close();
    await s3?.close();
  });

  it('records every object with its size and hash, copies them to the backup bucket, and copies only new ones next time', async () => {
    const first = await backUpAndSettle(t, operator);
    expect(first).toMatchObject({ status: 'verified', media: { objects: 3, missing: [], copy: { copied: 3, skipped: 0 } } });
    expect((first.media as Media).bytes).toBe(15_000);
    expect(await s3.keys('media/')).toEqual(objects.map((object) => copyKeyOf(object.sha256)).sort());

    objects.push(await attach(t, await someConversation(t)));
    const second = await backUpAndSettle(t, operator);
    expect(second).toMatchObject({ status: 'verified', media: { objects: 4, copy: { copied: 1, skipped: 3, bytesCopied: 5000 } } });
    expect(await s3.keys('media/')).toHaveLength(4);
  }, 120_000);

  it('a restore reports the objects its rows point at that storage no longer holds', async () => {
    await t.services.storage.delete(objects[0]!.key);
    const res = await t.request.post('/api/dr/restores').set(bearer(operator)).send({ target: 'scratch' });
    expect(res.status).toBe(202);
    scratchDatabases.push(res.body.data.databaseName);
    const restore = await settledRestore(t, operator, res.body.data.id);
    expect(restore).toMatchObject({ status: 'succeeded', media: { checked: 4, missing: [objects[0]!.key] } });
  }, 120_000);

  it('fails verification naming the object: a copy with a flipped byte, and an object missing when the backup was made', async () => {
    const list = await t.request.get('/api/dr/backups?limit=1').set(bearer(operator));
    const newest = list.body.data[0];
    await flipOneByte(s3.storage(), copyKeyOf(objects[1]!.sha256));
    expect((await t.request.post(`/api/dr/backups/${newest.id}/verify`).set(bearer(operator))).status).toBe(202);
    const reverified = await settledBackup(t, operator, newest.id);
    expect(reverified).toMatchObject({ status: 'failed', error: { code: 'backup_media_mismatch' } });
    expect((reverified.error as { message: string }).message).toContain(objects[1]!.key);

    // objects[0] was deleted from the main store above: a new backup cannot hold it.
    const third = await backUpAndSettle(t, operator);
    expect(third).toMatchObject({ status: 'failed', media: { missing: [objects[0]!.key] }, error: { code: 'backup_media_missing' } });
    expect((third.error as { message: string }).message).toContain(objects[0]!.key);
  }, 120_000);
});

describe('attachments and media in the backup set: main store on S3, backup copies in a local directory', () => {
  let s3: TestS3;
  let t: App;
  let operator: TestUser;
  let backupDir: string;

  beforeAll(async () => {
    s3 = await startS3();
    backupDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-backup-media-'));
    t = await startDrApp('postgres', { ...s3.env, BACKUP_STORAGE_DIR: backupDir, BACKUP_RETENTION: '1000b' });
    operator = await registerUser(t);
    await grantOperator(t.services.db, operator.email, 'cli');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await s3?.close();
    await fs.rm(backupDir, { recursive: true, force: true });
  });

  it('copies the objects into the directory, and fails verification when a copy is gone', async () => {
    const conversationId = await someConversation(t);
    const kept = await attach(t, conversationId, 1000);
    const lost = await attach(t, conversationId, 2000);
    const backup = await backUpAndSettle(t, operator);
    expect(backup).toMatchObject({ status: 'verified', media: { objects: 2, bytes: 3000, copy: { copied: 2, skipped: 0 } } });
    const copies = new LocalStorage(backupDir);
    expect(await copies.head(copyKeyOf(kept.sha256))).toMatchObject({ size: 1000 });

    await copies.delete(copyKeyOf(lost.sha256));
    expect((await t.request.post(`/api/dr/backups/${backup.id}/verify`).set(bearer(operator))).status).toBe(202);
    const reverified = await settledBackup(t, operator, backup.id);
    expect(reverified).toMatchObject({ status: 'failed', error: { code: 'backup_media_missing' } });
    expect((reverified.error as { message: string }).message).toContain(lost.key);
  }, 120_000);
});
