import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bearer, type TestUser } from '../../../test/factories.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';

export interface ImagesApp {
  t: TestApp;
  /** The directory of the app's local object storage. */
  storageDir: string;
  /** Keys stored under `prefix` in the app's local object storage. */
  storedKeys(prefix: string): Promise<string[]>;
  /** The bytes of a stored object. */
  readStored(key: string): Promise<Buffer>;
  /** Files of writes in progress (or abandoned) in the local storage's temporary directory. */
  tempFiles(): Promise<string[]>;
  close(): Promise<void>;
}

/** A test app whose object storage is a fresh directory. */
export async function startImagesApp(env: Record<string, string> = {}): Promise<ImagesApp> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-images-'));
  const t = await startTestApp({ env: { STORAGE_DIR: dir, RATE_LIMIT_MEDIA_PER_USER: '1000', ...env } });
  return {
    t,
    storageDir: dir,
    async storedKeys(prefix) {
      const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
        .filter((key) => !key.startsWith('.') && key.startsWith(prefix))
        .sort();
    },
    readStored: (key) => fs.readFile(path.join(dir, ...key.split('/'))),
    tempFiles: () => fs.readdir(path.join(dir, '.tmp')).catch(() => []),
    async close() {
      try {
        await t.close();
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** `POST /api/image/analyze` with one file in `image`. */
export function analyze(t: TestApp, user: TestUser, bytes: Buffer, query: { features?: string; conversationId?: string } = {}) {
  const search = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return t.request
    .post(`/api/image/analyze${search.size ? `?${search}` : ''}`)
    .set(bearer(user))
    .attach('image', bytes, { filename: 'picture.bin', contentType: 'application/octet-stream' });
}

/** The bytes of a binary response (supertest buffers images, not unknown types, by default). */
export function bodyBytes(req: ReturnType<TestApp['request']['get']>) {
  return req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}
