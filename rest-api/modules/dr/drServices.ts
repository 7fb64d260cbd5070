import type { PGlite } from '@electric-sql/pglite';
import { backupEncryptionKey, type BackupSource } from '@shared/backup/index.ts';
import type { Config } from '@shared/config.ts';
import { primaryResolverOf } from '@shared/db.ts';
import type { Services } from '@shared/services.ts';
import { createStorage, type ObjectStorage } from '@shared/storage/index.ts';

/** What backups and restores use of the services. `storage` is read at each use, never kept. */
export type DrServices = Pick<Services, 'config' | 'db' | 'log' | 'bus' | 'storage'>;

/** knex-pglite's one connection is the PGlite instance itself. */
interface PgliteKnexClient {
  acquireConnection(): Promise<PGlite>;
  releaseConnection(connection: PGlite): Promise<void>;
}

/** True on the embedded database (no DATABASE_URL). */
export const isEmbedded = (services: Pick<DrServices, 'config'>) => !services.config.DATABASE_URL;

/**
 * The app database's URL as node-postgres and the PostgreSQL tools take it. A DATABASE_URL naming several
 * servers becomes the URL of the one taking writes now: a dump must read the primary, a restore must
 * write it, and node-postgres reads only the first host of a list.
 */
export async function databaseUrlOf(services: Pick<DrServices, 'config' | 'db'>): Promise<string> {
  const resolver = primaryResolverOf(services.db);
  if (resolver) return resolver.options.url.urlFor(await resolver.primary());
  if (!services.config.DATABASE_URL) throw new Error('databaseUrlOf: the embedded database has no URL');
  return services.config.DATABASE_URL;
}

/**
 * The database a logical backup reads. On PGlite, the instance behind knex's one connection: taken and given
 * back at once, because the backup's own progress writes need that connection while it runs.
 */
export async function backupSourceOf(services: Pick<DrServices, 'config' | 'db'>): Promise<BackupSource> {
  if (services.config.DATABASE_URL) return { kind: 'postgres', databaseUrl: await databaseUrlOf(services) };
  const client = services.db.client as PgliteKnexClient;
  const pglite = await client.acquireConnection();
  await client.releaseConnection(pglite);
  return { kind: 'pglite', pglite };
}

/** Storage and key for the engine; throws `backup_key_required` in production without BACKUP_ENCRYPTION_KEY. */
export function backupIoOf(services: Pick<DrServices, 'config' | 'storage'>) {
  return { storage: services.storage, encryptionKey: backupEncryptionKey(services.config) };
}

/**
 * The backup target store for attachments and media (BACKUP_S3_BUCKET, else BACKUP_STORAGE_DIR), or undefined when
 * none is configured. A new client each time: the caller closes it.
 */
export function backupTargetStorageOf(config: Config): ObjectStorage | undefined {
  if (config.BACKUP_S3_BUCKET) return createStorage({ ...config, S3_BUCKET: config.BACKUP_S3_BUCKET });
  if (config.BACKUP_STORAGE_DIR) return createStorage({ ...config, S3_BUCKET: undefined, STORAGE_DIR: config.BACKUP_STORAGE_DIR });
  return undefined;
}
