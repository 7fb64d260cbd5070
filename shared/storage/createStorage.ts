import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.ts';
import { LocalStorage } from './LocalStorage.ts';
import type { ObjectStorage } from './ObjectStorage.ts';
import { S3Storage } from './S3Storage.ts';

type StorageConfig = Pick<
  Config,
  | 'DATA_DIR'
  | 'STORAGE_DIR'
  | 'S3_BUCKET'
  | 'S3_ENDPOINT'
  | 'S3_REGION'
  | 'S3_ACCESS_KEY_ID'
  | 'S3_SECRET_ACCESS_KEY'
  | 'S3_FORCE_PATH_STYLE'
>;

/** S3 when S3_BUCKET is set, else a directory (STORAGE_DIR, or DATA_DIR/objects). Nothing is touched until first use. */
export function createStorage(config: StorageConfig): ObjectStorage {
  if (!config.S3_BUCKET) return new LocalStorage(config.STORAGE_DIR ?? path.join(config.DATA_DIR, 'objects'));
  const client = new S3Client({
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    ...(config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY } }
      : {}),
    // Checksums only where S3 demands them. By default the SDK sends a streamed PutObject body
    // aws-chunked with a trailing checksum, and s3rver stored that framing as the object's bytes
    // (checked with @aws-sdk/client-s3 3.1175); every body is hashed by ContentMeter anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return new S3Storage(client, { bucket: config.S3_BUCKET });
}
