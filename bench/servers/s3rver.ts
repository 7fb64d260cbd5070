import S3rver from 's3rver';
import { announcePort } from './announce.ts';

/**
 * s3rver in its own process, as an S3 service would be: the upload bench's client, the REST app and
 * the store then never share an event loop. One bucket, `S3RVER_BUCKET`, kept under `S3RVER_DIRECTORY`.
 */
// eslint-disable-next-line n/no-process-env -- benchmark harness, not server code
const { S3RVER_DIRECTORY, S3RVER_BUCKET } = process.env;
if (!S3RVER_DIRECTORY || !S3RVER_BUCKET) throw new Error('S3RVER_DIRECTORY and S3RVER_BUCKET are required');
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: S3RVER_DIRECTORY,
  configureBuckets: [{ name: S3RVER_BUCKET }],
});
const { port } = await server.run();
process.once('SIGTERM', () => void server.close().finally(() => process.exit(0)));
announcePort(port);
