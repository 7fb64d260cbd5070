/** Where pgBackRest keeps the backups and the archived WAL. */
export type PhysicalBackupRepository =
  | {
      kind: 's3';
      bucket: string;
      /** Host name the server's certificate names (TLS is checked against it; pgBackRest 2.45 matches DNS names only, not IPs). */
      endpoint: string;
      /** HTTPS port; 443 unless an S3-compatible server listens elsewhere. */
      port?: number;
      region: string;
      accessKeyId: string;
      secretAccessKey: string;
      /** Path-style URLs (`https://host/bucket/key`): S3-compatible servers need it; AWS works with it too. */
      isPathStyle?: boolean;
      /** A PEM file of extra CA certificates to trust (a private CA, a loopback test server). */
      caFile?: string;
      /** Folder inside the bucket; `/pgbackrest` by default. */
      path?: string;
    }
  | {
      kind: 'posix';
      /** A directory on this host (or a mounted volume); it must be writable by `osUser`. */
      path: string;
    };

/** Everything the physical-backup engine needs to drive pgBackRest for one PostgreSQL cluster. */
export interface PhysicalBackupSetup {
  /** pgBackRest's name for this cluster's backups (letters, digits, `_`, `-`). */
  stanza: string;
  /**
   * Where the generated pgbackrest.conf is written; it holds secrets, so it is created 0600 and owned by
   * `osUser` (archive_command reads it), in a directory that user can traverse.
   */
  configPath: string;
  /** A private directory for pgBackRest's lock files and spool (never the shared /tmp/pgbackrest). */
  workDirectory: string;
  /** The OS user that owns the cluster's files and runs PostgreSQL (`postgres`); pgBackRest runs as it. */
  osUser: string;
  /** The cluster being backed up. pgBackRest talks to it over its Unix socket as `databaseUser`. */
  cluster: {
    dataDirectory: string;
    port: number;
    socketDirectory: string;
    /** A superuser (or a role with pg_backup rights); `postgres` by default. */
    databaseUser?: string;
  };
  repository: PhysicalBackupRepository;
  /** Encrypts everything in the repository (aes-256-cbc); lose it and the backups are unreadable. */
  cipherPassphrase: string;
  /** Parallel compress/transfer processes; by default all cores but one, at most 4, so the database keeps a core. */
  processMax?: number;
  /** Full backups kept (older ones and their WAL are expired after each backup); 4 by default. */
  retainFullBackups?: number;
  /** pgBackRest's I/O timeout in seconds (60 by default). An unreachable repository fails after about 8 × this. */
  ioTimeoutSeconds?: number;
}

/**
 * What running pgBackRest commands needs once its config exists (written by writePgBackRestConfig, or by the
 * operator as the runbook says): the stanza, the config and the OS user; the data directory for in-place restores.
 */
export type PgBackRestStanza = Pick<PhysicalBackupSetup, 'stanza' | 'configPath' | 'osUser'> & {
  cluster?: Pick<PhysicalBackupSetup['cluster'], 'dataDirectory'>;
};
