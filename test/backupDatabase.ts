import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { migrateLatest } from '@shared/db.ts';
import { migrationSource } from '../migrations/index.ts';
import { LocalStorage } from '@shared/storage/LocalStorage.ts';
import type { ObjectStorage } from '@shared/storage/ObjectStorage.ts';
import { startS3 } from './s3.ts';
import { createEmptyDatabase } from './services.ts';

/** A migrated PostgreSQL database of its own, for a test that backs it up and restores it. */
export interface SourceDatabase {
  url: string;
  db: Knex;
  close(): Promise<void>;
}

export async function createSourceDatabase(): Promise<SourceDatabase> {
  const { url, drop } = await createEmptyDatabase();
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 }, migrations: { migrationSource } });
  await migrateLatest(db);
  return {
    url,
    db,
    close: async () => {
      await db.destroy();
      await drop();
    },
  };
}

/** A user with `conversations` conversations whose titles are random (incompressible) text; returns the user's email. */
export async function writeUserWithConversations(db: Knex, conversations: number): Promise<string> {
  const email = `${crypto.randomBytes(6).toString('hex')}@drill.example`;
  const [user] = await db('users').insert({ email, name: 'Drill', password_hash: 'x' }).returning('id');
  const rows = Array.from({ length: conversations }, () => ({ owner_id: user.id, title: crypto.randomBytes(48).toString('base64') }));
  for (let start = 0; start < rows.length; start += 500) await db('conversations').insert(rows.slice(start, start + 500));
  return email;
}

/** A store under test and how to take it down. */
export interface StorageHarness {
  storage: ObjectStorage;
  /** Files a write left behind outside any object (the local driver's temporary directory); none on S3. */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

export async function localStorageHarness(): Promise<StorageHarness> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-backup-'));
  const storage = new LocalStorage(path.join(dir, 'objects'));
  return {
    storage,
    leftovers: () => fs.readdir(storage.tempDir).catch(() => []),
    close: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

export async function s3StorageHarness(): Promise<StorageHarness> {
  const s3 = await startS3();
  return { storage: s3.storage(), leftovers: async () => [], close: () => s3.close() };
}
