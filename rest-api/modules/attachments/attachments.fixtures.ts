import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ObjectStorage } from '@shared/storage/index.ts';
import { startTestApp, type TestApp, type TestBackend } from '../../../test/http.ts';
import { bearer, type TestUser } from '../../../test/factories.ts';
import { startS3, type TestS3 } from '../../../test/s3.ts';

export type Driver = 'local' | 's3';
export const DRIVERS: Driver[] = ['local', 's3'];

/** The cap the test apps run with: above S3's 5 MiB part size, so uploads near it take the multipart path. */
export const TEST_MAX_BYTES = 6 * 1024 * 1024;

/** Files by their real bytes. */
export const SAMPLES = {
  /** A 1×1 PNG. */
  png: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'),
  pdf: Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
  /** The start of a 64-bit Linux executable. */
  elf: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(56), crypto.randomBytes(512)]),
  /** The start of a Windows executable: the MZ header pointing at a PE header. */
  pe: (() => {
    const exe = Buffer.alloc(1024);
    exe.write('MZ', 0, 'latin1');
    exe.writeUInt32LE(0x80, 0x3c);
    exe.write('PE\0\0', 0x80, 'latin1');
    return exe;
  })(),
  text: Buffer.from('Meeting notes — ünïcödé ✓\nline two\n'),
};

/** A JPEG start of image followed by random bytes: `size` bytes that sniff as image/jpeg. */
export const jpegOfSize = (size: number) =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(Math.max(0, size - 4))]);

export interface AttachmentsApp {
  t: TestApp;
  driver: Driver;
  s3?: TestS3;
  /** Where the local driver keeps objects. */
  storageDir: string;
  /** Keys stored under `prefix`, read from the store directly (the directory, or the S3 server). */
  storedKeys(prefix: string): Promise<string[]>;
  /** Files the local driver has in flight or abandoned; S3 uploads have none. */
  tempFiles(): Promise<string[]>;
  close(): Promise<void>;
}

/** A test app whose object storage is a fresh directory or a fresh s3rver bucket. */
export async function startAttachmentsApp(
  driver: Driver,
  options: { log?: Logger; env?: Record<string, string>; backend?: TestBackend } = {},
): Promise<AttachmentsApp> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-attachments-'));
  const storageDir = path.join(dir, 'objects');
  const s3 = driver === 's3' ? await startS3() : undefined;
  const t = await startTestApp({
    log: options.log,
    backend: options.backend,
    env: { STORAGE_DIR: storageDir, ATTACHMENT_MAX_BYTES: String(TEST_MAX_BYTES), ...(s3?.env ?? {}), ...options.env },
  });
  return {
    t,
    driver,
    s3,
    storageDir,
    storedKeys: (prefix) => (s3 ? s3.keys(prefix) : filesUnder(storageDir, prefix)),
    tempFiles: () => fs.readdir(path.join(storageDir, '.tmp')).catch(() => []),
    async close() {
      try {
        await t.close();
      } finally {
        await s3?.close();
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Files under `root` whose `/`-joined relative paths start with `prefix`, skipping the driver's dot directories. */
async function filesUnder(root: string, prefix: string): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((key) => !key.startsWith('.') && key.startsWith(prefix))
    .sort();
}

/** `POST /api/conversations/:id/attachments` with one file. */
export function uploadFile(
  t: TestApp,
  user: TestUser,
  conversationId: string,
  bytes: Buffer,
  file: { filename?: string; contentType?: string; field?: string } = {},
) {
  return t.request
    .post(`/api/conversations/${conversationId}/attachments`)
    .set(bearer(user))
    .attach(file.field ?? 'file', bytes, {
      filename: file.filename ?? 'file.bin',
      contentType: file.contentType ?? 'application/octet-stream',
    });
}

/** Uploads and returns the created attachment, failing the test on anything but 201. */
export async function uploaded(t: TestApp, user: TestUser, conversationId: string, bytes: Buffer, filename = 'file.bin') {
  const res = await uploadFile(t, user, conversationId, bytes, { filename });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as { id: string; name: string; contentType: string; size: number; sha256: string; createdAt: string };
}

/**
 * Records every `put` the storage is asked for, without changing what it stores: tests that cut a
 * request short wait for the store to have started, and then for it to have finished cleaning up.
 * `onFailure` runs before a failed put reports its failure, as a slow store's cleanup would.
 */
export function watchPuts(storage: ObjectStorage, options: { onFailure?: () => Promise<void> } = {}) {
  const original = storage.put.bind(storage);
  const settled: Array<Promise<unknown>> = [];
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  storage.put = (key, body, putOptions) => {
    const put = original(key, body, putOptions).catch(async (error: unknown) => {
      await options.onFailure?.();
      throw error;
    });
    settled.push(
      put.then(
        () => 'stored',
        () => 'failed',
      ),
    );
    markStarted();
    return put;
  };
  return {
    /** Resolves when the first put begins. */
    started,
    /** How every put so far ended. */
    outcomes: () => Promise.all(settled),
    restore: () => {
      storage.put = original;
    },
  };
}

/** Resolves once `check` holds, polling every 10 ms; rejects after `timeoutMs` naming what it waited for. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');
