import crypto from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import type { Server } from 'node:https';
import S3rver from 's3rver';
import { loopbackTls } from './standIns/loopbackTls.ts';

/** s3rver over HTTPS on loopback, with one fresh bucket: pgBackRest speaks S3 only over TLS. */
export interface TlsS3rver {
  /** The host name the loopback certificate names (pgBackRest 2.45 checks DNS names, not IP addresses). */
  endpoint: 'localhost';
  port: number;
  bucket: string;
  /** The CA file that makes pgBackRest trust the server (the self-signed loopback certificate). */
  caFile: string;
  /** s3rver's built-in credentials. */
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops the server: connections are refused, as with a store that is down. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same objects. */
  restart(): Promise<void>;
  /** Every stored file under the bucket with its size and modification time: a fingerprint of what is stored. */
  fingerprint(): Promise<string[]>;
  /** Stops the server if it runs and deletes its directory. */
  close(): Promise<void>;
}

export async function startTlsS3rver(): Promise<TlsS3rver> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'twinmcp-s3rver-tls-'));
  const bucket = `backup-${crypto.randomBytes(6).toString('hex')}`;
  // s3rver 3.7 serves HTTPS when given key and cert (its typings in test/s3rver.d.ts predate them).
  const makeServer = (port: number) =>
    new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket }],
      ...{ key: loopbackTls.key, cert: loopbackTls.cert },
    });
  let server: S3rver | null = makeServer(0);
  const { port } = await server.run();
  const stop = async () => {
    const running = server;
    server = null;
    // Cut open connections too (s3rver's close alone waits for them): a store that goes down mid-upload.
    (running as unknown as { httpServer?: Server } | null)?.httpServer?.closeAllConnections();
    await running?.close();
  };
  return {
    endpoint: 'localhost',
    port,
    bucket,
    caFile: loopbackTls.certFile,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop,
    async restart() {
      await stop();
      server = makeServer(port);
      await server.run();
    },
    async fingerprint() {
      const root = path.join(directory, bucket);
      const files = (await readdir(root, { recursive: true })).sort();
      const entries: string[] = [];
      for (const file of files) {
        const info = await stat(path.join(root, file));
        if (info.isFile()) entries.push(`${file} ${info.size} ${info.mtimeMs}`);
      }
      return entries;
    },
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
