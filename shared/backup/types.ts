import type { ObjectStorage } from '../storage/ObjectStorage.ts';

/** One table as a backup saw it, in the backup's own snapshot. */
export interface TableStat {
  /** `table` in the public schema, `schema.table` elsewhere. */
  name: string;
  rows: number;
  /** md5 of the first 1000 rows (by primary key, else by the whole row) as text: catches rows restored wrong, not just missing. */
  sampleChecksum: string;
}

/** How the backup's bytes were made: a pg_dump custom-format archive, or PGlite's data directory as a tar. Both zstd-compressed. */
export type LogicalBackupFormat = 'pg_dump_custom+zstd' | 'pglite_datadir_tar+zstd';

/** What a logical backup recorded; verification and restore need exactly this back. */
export interface LogicalBackupRecord {
  /** Storage key of the object. */
  key: string;
  /** Bytes of the object as stored. */
  bytes: number;
  /** Hex SHA-256 of the object as stored. */
  sha256: string;
  tables: TableStat[];
  format: LogicalBackupFormat;
  /** Encrypted with BACKUP_ENCRYPTION_KEY (see encryption.ts), or stored as compressed plaintext. */
  encrypted: boolean;
}

export interface LogicalBackupResult extends LogicalBackupRecord {
  durationMs: number;
}

/** Where a backup, a verification or a restore is; sent at most every ~250 ms and once at the end. */
export interface BackupProgress {
  phase: 'dumping' | 'checking' | 'restoring' | 'comparing';
  /** Bytes written to storage (dumping) or read from it (checking, restoring). */
  bytes: number;
  /** Tables whose data the tool has reached, when it says so (pg_dump/pg_restore --verbose). */
  tablesDone: number;
  tablesTotal: number;
  elapsedMs: number;
  /** Physical backups and restores: 0–100 by bytes, as pgBackRest reports it (it knows no tables). */
  percent?: number;
}

/** What every logical backup operation takes. */
export interface BackupIo {
  storage: ObjectStorage;
  /** The 32-byte key (backupEncryptionKey(config)); undefined makes or reads an unencrypted backup. */
  encryptionKey?: Buffer;
  onProgress?: (progress: BackupProgress) => void;
  signal?: AbortSignal;
}
