/**
 * Physical backups and point-in-time recovery (PITR) of a PostgreSQL cluster with pgBackRest (2.45, the
 * Debian package), to S3 or a local path, encrypted.
 *
 * ## Physical (this folder) or logical (shared/backup)?
 * - Physical copies the cluster's files plus its WAL. It can restore to ANY moment covered by the archive
 *   (a time or an LSN), not just to when a backup ran; with archive_timeout=60 the RPO from backups alone is
 *   at most 60 s. Incremental and differential backups copy only changed files, so a large database is
 *   backed up often and cheaply; restores copy files (no re-indexing), so they are fast for large databases.
 * - Physical restores need the SAME PostgreSQL major version and architecture, restore the WHOLE cluster
 *   (every database, roles included), and cannot restore into PGlite. They run on the database host
 *   (pgBackRest reads the data directory).
 * - Logical (pg_dump) is portable across versions and to PGlite, can restore one database into another,
 *   and its row counts are checkable table by table; but it restores only to the moment of the dump and
 *   its restore rebuilds every index, which is slow on large databases.
 * - pgBackRest 2.45 increments per FILE (tables are 1 GB segment files): a small change to a big table copies
 *   its whole segment again (block-level incremental needs pgBackRest ≥ 2.46). Incrementals still skip
 *   every untouched table and index.
 * - Use physical for production PostgreSQL (PITR after a bad migration or a deleted workspace, fast RTO),
 *   logical for laptops/PGlite, upgrades across major versions and extracting one database.
 *
 * ## pgBackRest settings chosen (pgbackrest.conf, see pgBackRestConfig.ts) — default → ours, why
 * - repo1-type: posix → s3 (or posix): backups leave the host. repo1-s3-uri-style: host → path when the
 *   server is S3-compatible (no wildcard DNS). repo1-storage-ca-file: system CAs → a given file only for a
 *   private CA; TLS verification stays ON (repo1-s3-verify-tls default y is never turned off). pgBackRest
 *   2.45 matches the certificate against DNS names only, so the endpoint must be a host name, not an IP.
 * - repo1-cipher-type: none → aes-256-cbc, with the caller's passphrase: the bucket alone reveals nothing.
 *   The passphrase and S3 secret live only in the 0600 config owned by the postgres user (pgBackRest
 *   refuses secrets on its command line, and archive_command must read them too).
 * - compress-type: gz → zst (level 3): zstd compresses faster than gzip at a similar ratio, and CPU is what a
 *   backup on a small host runs out of first.
 * - process-max: 1 → cores − 1 (1..4): parallel compression and uploads, leaving the database a core.
 * - start-fast: n → y: the backup starts with an immediate checkpoint instead of waiting for the next
 *   scheduled one (up to checkpoint_timeout, 5 min by default).
 * - archive-async: n → n (kept): asynchronous archiving pays off when WAL is produced faster than one
 *   archive-push per segment can ship it (hundreds of MB/min); below that it adds a spool to watch.
 * - repo1-retention-full: unset (warns, keeps everything) → 4: older fulls and the WAL only they need are
 *   expired after each backup (expire-auto=y), so the bucket does not grow forever.
 * - io-timeout: 60 s → 60 s (option ioTimeoutSeconds): an unreachable repository fails only after about
 *   8 × io-timeout (8 min measured with 60 s); lower it where the store is close.
 * - lock-path, spool-path, log-path: /tmp/pgbackrest, /var/spool/pgbackrest, /var/log/pgbackrest → a
 *   private work directory per cluster; log-level-file: info → off (the caller logs what matters).
 *
 * ## PostgreSQL settings (archiveSettingsFor) — default → ours
 * - wal_level: replica → replica (needed for archiving). archive_mode: off → on.
 * - archive_command: '' → `pgbackrest --config=… --stanza=… archive-push %p`.
 * - archive_timeout: 0 (never) → 60: a segment with any write is closed and archived within a minute.
 *   This is the RPO from backups alone: at most 60 s of committed work can be lost with the host.
 *
 * ## Measured (2 cores shared with other work, S3 = s3rver over TLS on loopback, process-max 1)
 * - Full backup of a 296 MB cluster (random text, 113 MB stored): 10.8 s; of 337 MB of pgbench data (17 MB
 *   stored): 6.2 s. Restore of the 296 MB backup: 3.7 s, 4.7 s until the cluster takes writes.
 * - WAL archive lag, commit → segment in the repository with pg_switch_wal(): 93–315 ms (archive_command
 *   starts one pgbackrest per segment). Without a switch the lag is up to archive_timeout (60 s).
 * - Repository unreachable when a backup starts: it fails after ~8 × io-timeout (16.7 s with 2 s; 8 min with
 *   the default 60 s). Lost mid-backup: ~43 s with io-timeout 2 s (pgBackRest retries each file twice, the
 *   second time after job-retry-interval, 15 s). Nothing half-written is listed; the next backup works.
 *
 * Verification (markRestorePoint.ts, scratchCluster.ts): right after a backup, a restore point is written while
 * every table of the app's database is briefly SHARE-locked, and the tables are counted and checksummed in the
 * snapshot taken under those locks; the verification restores to that point in a scratch cluster (own socket, own
 * pg_hba, archiving off) and compares exactly. Measured: the write stall is the lock round trip (milliseconds).
 *
 * Restores go into a new, empty data directory (a scratch cluster, with archiving switched off so it never
 * writes into this cluster's repository) or in place into the stopped cluster (`--delta`). Either way the
 * cluster replays WAL to the target on start and then promotes itself.
 */
export type { PhysicalBackupRepository, PhysicalBackupSetup } from './PhysicalBackupSetup.ts';
export { PhysicalBackupError, type PhysicalBackupErrorCode } from './PhysicalBackupError.ts';
export { defaultProcessMax, renderPgBackRestConfig, writePgBackRestConfig } from './pgBackRestConfig.ts';
export { applyArchiveSettings, archiveSettingsFor, renderPostgresSettings } from './archiveSettings.ts';
export {
  checkStanza,
  createStanza,
  parseProgressLine,
  takeBackup,
  type PhysicalBackupProgress,
  type TakeBackupOptions,
} from './backupCommands.ts';
export { readBackupInfo, type PhysicalBackup, type PhysicalBackupInfo } from './readBackupInfo.ts';
export { lsnToBigInt, restoreBackup, type RestoreOptions, type RestoreTarget } from './restoreBackup.ts';
export type { PgBackRestStanza } from './PhysicalBackupSetup.ts';
export { expireBackup } from './backupCommands.ts';
export { markRestorePoint, type RestorePoint } from './markRestorePoint.ts';
export { startScratchCluster, type ScratchCluster, type ScratchClusterOptions } from './scratchCluster.ts';
