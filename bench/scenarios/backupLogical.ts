import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogicalBackup, verifyLogicalBackup, type LogicalBackupResult } from '@shared/backup/index.ts';
import { LocalStorage } from '@shared/storage/LocalStorage.ts';
import { createSourceDatabase, type SourceDatabase } from '../../test/backupDatabase.ts';
import { measurementOfRuns } from '../lib/latency.ts';
import type { Scenario } from '../lib/types.ts';

/** Size of the seeded database, in GiB (BENCH_BACKUP_GIB, default 1, the "at least 1 GiB"). */
// eslint-disable-next-line n/no-process-env -- a knob of the benchmark script, not of the product
const TARGET_BYTES = Number(process.env.BENCH_BACKUP_GIB ?? 1) * 1024 ** 3;
/** Backups of each kind, alternating, so both see the same cache and load. */
const RUNS = 3;
const MESSAGES_PER_BATCH = 100_000;

/**
 * A logical backup of a seeded database of at least 1 GiB (conversations whose messages mix random and
 * repeated text, indexes and all) through the product — pg_dump, zstd, AES-256-GCM, storage, the
 * snapshot's row counts and checksums — against the raw `pg_dump -Fc | zstd` into the same
 * storage. Then one restore with verification (scratch database, counts and checksums compared): the
 * restore time objective on this machine. Goal: p50 ≤ 1.2× the raw dump.
 */
export const backupLogical: Scenario = {
  id: 'backup-logical',
  title: 'Logical backup of a seeded 1 GiB database (pg_dump → zstd → AES-GCM → storage) against raw pg_dump -Fc | zstd',
  targets: { maxP50Ratio: 1.2 },
  approximateSeconds: () => 420,
  async run() {
    const source = await createSourceDatabase();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-bench-backup-'));
    try {
      const storage = new LocalStorage(dir);
      const databaseBytes = await seed(source);
      const encryptionKey = crypto.randomBytes(32);
      const subject: number[] = [];
      const baseline: number[] = [];
      const baselineUncompressedDump: number[] = [];
      let made: LogicalBackupResult | undefined;
      let rawBytes = 0;
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        made = await createLogicalBackup({ kind: 'postgres', databaseUrl: source.url }, `bench/product-${run}`, { storage, encryptionKey });
        subject.push(performance.now() - started);
        const raw = await timed(() => pgDumpIntoStorage(storage, source.url, `bench/raw-${run}`, ['-Fc']));
        baseline.push(raw.ms);
        rawBytes = raw.value;
        baselineUncompressedDump.push(
          (await timed(() => pgDumpIntoStorage(storage, source.url, `bench/raw-z0-${run}`, ['-Fc', '-Z0']))).ms,
        );
      }
      const verified = await verifyLogicalBackup(made!, {
        storage,
        encryptionKey,
        serverUrl: source.url,
        scratchPrefix: 'twinmcp_test_bench',
      });
      if (!verified.ok) throw new Error(`the benchmark's backup did not verify: ${verified.code} ${verified.reason}`);
      const messages = made!.tables.find((table) => table.name === 'messages')?.rows ?? 0;
      const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
      const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
      return {
        subject: measurementOfRuns('product (zstd, encrypted)', subject),
        baseline: measurementOfRuns('pg_dump -Fc | zstd', baseline),
        notes: [
          `database ${gib(databaseBytes)} (pg_database_size), ${messages} messages`,
          `stored: product ${mib(made!.bytes)}, raw ${mib(rawBytes)}`,
          `against pg_dump -Fc -Z0 | zstd (no double compression): p50 ${seconds(median(baselineUncompressedDump))}`,
          `restore into a scratch database + verification (counts, checksums): ${seconds(verified.durationMs)}, the RTO at this size`,
        ],
      };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
      await source.close();
    }
  },
};

/** Grows the messages of a few thousand conversations until the database holds TARGET_BYTES; returns its size. */
async function seed(source: SourceDatabase): Promise<number> {
  const { db } = source;
  const [user] = await db('users').insert({ email: 'bench@backup.example', name: 'Bench', password_hash: 'x' }).returning('id');
  await db.raw(`insert into conversations (owner_id, title) select ?, 'Conversation ' || g from generate_series(1, 5000) g`, [user.id]);
  const size = async () => Number((await db.raw('select pg_database_size(current_database()) as bytes')).rows[0].bytes);
  while ((await size()) < TARGET_BYTES) {
    // ~1 KB a message: a third random (hex), the rest ordinary repeated prose, as chat compresses.
    await db.raw(
      `insert into messages (conversation_id, author_id, role, content)
       select c.id, ?, 'user',
              md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) ||
              md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) ||
              ' ' || repeat('the launch plan moves to friday and the slides need another pass ', 10)
       from generate_series(1, ?) g
       join lateral (select id from conversations order by random() limit 1) c on true`,
      [user.id, MESSAGES_PER_BATCH],
    );
  }
  await db.raw('vacuum analyze');
  return size();
}

/** `pg_dump <args> | zstd -3` streamed into storage.put, as an operator's script would; returns the stored bytes. */
async function pgDumpIntoStorage(storage: LocalStorage, url: string, key: string, args: string[]): Promise<number> {
  const dump = spawn('pg_dump', [...args, '--dbname', url], { stdio: ['ignore', 'pipe', 'inherit'] });
  const zstd = spawn('zstd', ['-3', '-q', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  dump.stdout.pipe(zstd.stdin);
  const exited = (child: ReturnType<typeof spawn>, name: string) =>
    new Promise<void>((resolve, reject) =>
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}`)))),
    );
  const [stored] = await Promise.all([
    storage.put(key, zstd.stdout, { contentType: 'application/zstd' }),
    exited(dump, 'pg_dump'),
    exited(zstd, 'zstd'),
  ]);
  return stored.size;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
