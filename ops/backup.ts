import { parseArgs } from 'node:util';
import { loadConfig } from '@shared/config.ts';
import { createLogger } from '@shared/logger.ts';
import { createServices } from '@shared/services.ts';
import { findBackup } from '@shared/backup/backups.repo.ts';
import { beginBackup } from '../rest-api/modules/dr/beginBackup.ts';
import { listBackupsPage } from '../rest-api/modules/dr/listBackupsPage.ts';
import { presentBackup } from '../rest-api/modules/dr/dr.presenter.ts';
import { runBackup } from '../rest-api/modules/dr/runBackup.ts';
import { verifyBackup } from '../rest-api/modules/dr/verifyBackup.ts';
import { createProgressPrinter } from './backupProgressPrinter.ts';

const USAGE = `Usage: npm run backup [-- <command>]
  (no command)      make a logical backup now and verify it
  --kind physical [--type full|incr]
                    make a physical backup (pgBackRest; PGBACKREST_STANZA and PGBACKREST_CONFIG set) and verify it
  verify <id>       verify a stored backup again
  list              print the newest backups
On the embedded database (no DATABASE_URL), stop npm start first: PGlite serves one process at a time.
`;

/**
 * \`npm run backup\`: the API's backup commands, run in this process (no HTTP, no job queue), with progress on stdout.
 * Exits 0 when the backup verified (or the list printed), 1 when it failed, 2 on a usage error.
 */
let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { kind: { type: 'string' }, type: { type: 'string' } } });
} catch {
  process.stderr.write(USAGE);
  process.exit(2);
}
const [command, id, ...rest] = parsed.positionals;
const kind = parsed.values.kind ?? 'logical';
const physicalType = parsed.values.type;
const isBackup = command === undefined && (kind === 'logical' ? physicalType === undefined : kind === 'physical');
const isUsage =
  (isBackup && (physicalType === undefined || physicalType === 'full' || physicalType === 'incr')) ||
  (command === 'verify' && id && rest.length === 0) ||
  (command === 'list' && !id);
if (!isUsage) {
  process.stderr.write(USAGE);
  process.exit(2);
}

const config = loadConfig();
// Progress goes to stdout; the log only says what went wrong.
const services = await createServices(config, { log: createLogger({ ...config, LOG_LEVEL: 'warn' }) });
const out = process.stdout;
let code = 0;
try {
  if (command === 'list') {
    const rows = await listBackupsPage(services.db, { limit: 20 });
    for (const backup of rows.slice(0, 20).map(presentBackup)) {
      const size = backup.bytes === null ? '-' : `${(backup.bytes / 1_048_576).toFixed(1)} MiB`;
      out.write(`${backup.id}  ${backup.startedAt}  ${backup.status.padEnd(9)}  ${size}  ${backup.error?.code ?? ''}\n`);
    }
  } else if (command === 'verify') {
    const row = await findBackup(services.db, id!);
    if (!row) throw new Error(`No backup ${id}`);
    const printer = createProgressPrinter(out, row.bytes === null ? null : Number(row.bytes));
    const verification = await verifyBackup(services, id!, { onProgress: (progress) => printer.update(progress) });
    printer.end();
    if (!verification) throw new Error(`Backup ${id} has nothing to verify (${row.status})`);
    out.write(verification.ok ? `verified in ${verification.durationMs} ms\n` : `FAILED: ${verification.code}: ${verification.reason}\n`);
    code = verification.ok ? 0 : 1;
  } else {
    const started = await beginBackup(services, { actorId: null, kind: kind as 'logical' | 'physical' });
    out.write(`backup ${started.id} started\n`);
    let printer = createProgressPrinter(out);
    let phase = 'dumping';
    const made = await runBackup(services, started.id, {
      physicalType: physicalType as 'full' | 'incr' | undefined,
      onProgress: (progress) => {
        // Verification reads the stored object back: its bar is measured against the object's size.
        if (progress.phase !== 'dumping' && phase === 'dumping') {
          printer.end();
          phase = progress.phase;
          printer = createProgressPrinter(out, null);
        }
        printer.update(progress);
      },
    });
    printer.end();
    const backup = made ? presentBackup(made) : undefined;
    if (backup?.status === 'verified') {
      out.write(`backup ${backup.id} verified: ${backup.bytes} bytes, ${backup.tables?.length ?? 0} tables, ${backup.durationMs} ms\n`);
      if (backup.physical)
        out.write(
          `pgBackRest ${backup.physical.type} backup ${backup.physical.label}, restore point ${backup.physical.restorePoint.lsn}\n`,
        );
    } else {
      out.write(`backup ${started.id} FAILED: ${backup?.error?.code ?? backup?.status}: ${backup?.error?.message ?? ''}\n`);
      code = 1;
    }
  }
} catch (error) {
  out.write(`${(error as Error).message}\n`);
  code = 1;
} finally {
  await services.close();
}
process.exit(code);
