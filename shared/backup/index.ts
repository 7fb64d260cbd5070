/**
 * Logical backups that are proven: made, then restored and checked.
 *
 * Pipeline (PostgreSQL): pg_dump -Fc -Z0 → zstd (level 3, frame checksum; Debian's zstd reading pg_dump's pipe when
 * installed, node:zlib otherwise — zstdProcess.ts) → AES-256-GCM in 64 KiB
 * authenticated chunks → ObjectStorage.put, streamed end to end: no stage holds more than a few chunks and nothing
 * is written to local disk. `put` hashes what it stores; the SHA-256, byte count, and every table's row count and
 * sample checksum form the record (LogicalBackupRecord) that verification and restore are held to.
 * The counts come from the dump's own snapshot: a REPEATABLE READ transaction exports it, pg_dump imports it
 * (--snapshot) and the counts are read in the exporting transaction while pg_dump runs.
 *
 * Pipeline (embedded PGlite): PGlite's dumpDataDir() tarball (a physical copy, taken between queries) → the same
 * zstd and encryption → storage. Verification loads it into a temporary in-memory PGlite.
 *
 * Choices:
 * - Encryption is our own chunked AES-256-GCM (encryption.ts), not age or OpenPGP: node:crypto has it, no new
 *   dependency or binary; it detects a wrong key (key check in the header), a changed byte (the chunk's tag) and
 *   truncation (the last-chunk flag) at the first bad chunk, and never emits unauthenticated bytes. age's STREAM
 *   format is the same idea; its recipients and passphrases we do not need with one deployment key.
 * - zstd, not gzip and not pg_dump's own compression: -Z0 keeps pg_dump's one core on dumping, and zstd runs in
 *   a process of its own beside it at several times gzip's speed for a similar ratio.
 * - No parallel dump: pg_dump -j needs the directory format, a tree of files that cannot be one stream; it would
 *   stage the whole dump on local disk, which backups here never do. The restore is single-job for the same reason.
 * - Verification restores into a scratch database and compares counts and checksums, because a readable archive
 *   is not yet a restorable one (missing extensions, roles, a schema newer than the code).
 * - Attachments and media (mediaManifest.ts): every backup records the storage keys its database references with
 *   their sizes and SHA-256, copies them content-addressed to a backup target store when one is configured (only
 *   those not there yet), and verification checks each one is there with the same hash.
 * - A restore reads the whole object once (SHA-256, decryption, decompression) before it touches its target, then
 *   streams it again into pg_restore --single-transaction: two reads, but a bad backup never half-lands.
 */
export { backupEncryptionKey } from './encryptionKey.ts';
export { createLogicalBackup, type BackupSource } from './createLogicalBackup.ts';
export { verifyLogicalBackup, type VerificationResult, type VerifyOptions } from './verifyLogicalBackup.ts';
export { restoreLogicalBackup, type RestoreResult, type RestoreTarget } from './restoreLogicalBackup.ts';
export { BackupFailedError, BackupIntegrityError, BackupRefusedError } from './errors.ts';
export type { BackupIo, BackupProgress, LogicalBackupFormat, LogicalBackupRecord, LogicalBackupResult, TableStat } from './types.ts';
