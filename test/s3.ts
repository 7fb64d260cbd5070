import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3Storage, type S3StorageOptions } from '@shared/storage/S3Storage.ts';

/** A real S3-compatible server (s3rver) on an ephemeral loopback port, with one fresh bucket. */
export interface TestS3 {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  /** The S3_* variables that point the product at this server. */
  env: Record<string, string>;
  /** A storage on this bucket built as the product builds it, with driver options for tests that want small pages. */
  storage(options?: Omit<S3StorageOptions, 'bucket'>): S3Storage;
  /** Every key in the bucket under `prefix` (sorted), read straight from the server. */
  keys(prefix?: string): Promise<string[]>;
  /** Stops the server (requests then fail to connect, as with a store that is down). */
  stop(): Promise<void>;
  /** Stops the server if it still runs and deletes its directory. */
  close(): Promise<void>;
}

/** s3rver's built-in account; it refuses other credentials. */
const ACCESS_KEY = 'S3RVER';

export async function startS3(): Promise<TestS3> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-s3rver-'));
  // Lowercase letters and digits: a valid bucket name, at least 3 characters.
  const bucket = `test-${crypto.randomBytes(6).toString('hex')}`;
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= server.close());
  const env = {
    S3_BUCKET: bucket,
    S3_ENDPOINT: endpoint,
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: ACCESS_KEY,
    S3_SECRET_ACCESS_KEY: ACCESS_KEY,
    S3_FORCE_PATH_STYLE: 'true',
  };
  const clients: S3Client[] = [];
  const newClient = () => {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: ACCESS_KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    clients.push(client);
    return client;
  };
  const reader = newClient();
  return {
    endpoint,
    bucket,
    env,
    storage: (options = {}) => new S3Storage(newClient(), { bucket, ...options }),
    async keys(prefix = '') {
      // One page is plenty for a test, and reading it raw keeps the driver under test out of the answer.
      const page = await reader.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (page.Contents ?? []).map((object) => object.Key!).sort();
    },
    stop,
    async close() {
      for (const client of clients) client.destroy();
      await stop();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
