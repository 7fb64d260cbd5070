import { parseArgs } from 'node:util';
import { loadConfig } from '@shared/config.ts';
import { createLogger } from '@shared/logger.ts';
import { createServices } from '@shared/services.ts';
import { findBackup, latestVerifiedBackup } from '@shared/backup/backups.repo.ts';
import { requestRestore } from '../rest-api/modules/dr/requestRestore.ts';
import { runRestore, scratchPgliteDir } from '../rest-api/modules/dr/runRestore.ts';
import { createProgressPrinter } from './backupProgressPrinter.ts';
import { restoreEmbeddedInPlace } from './restoreEmbedded.ts';

const USAGE = `Usage: npm run restore -- [<backup id>] [--in-place --yes] [--force "<reason>"]
       npm run restore -- --time <ISO time> | --lsn <WAL position> [<physical backup id>]
  (default)             restore into a new scratch database (its name is printed); the live one is untouched
  --time <ISO time>     point-in-time recovery from physical backups (pgBackRest) into a scratch cluster,
                        whose data directory is printed with what it holds; with --in-place --yes, the live database
  --lsn <WAL position>  the same, to a WAL position (16/B374D848, as pg_current_wal_lsn() prints it)
  --in-place --yes      replace the live database; PostgreSQL: the API is read-only meanwhile;
                        embedded (PGlite): stop npm start first, the old data directory is kept aside
  --force "<reason>"    restore a backup that failed verification (audited)
Without an id: the newest verified backup.
`;

/** \`npm run restore\`: the API's restore commands, run in this process. Exits 0 when restored, 1 when not, 2 on a usage error. */
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      'in-place': { type: 'boolean' },
      yes: { type: 'boolean' },
      force: { type: 'string' },
      time: { type: 'string' },
      lsn: { type: 'string' },
    },
  });
} catch {
  process.stderr.write(USAGE);
  process.exit(2);
}
const { positionals, values } = parsed;
const targetTime = values.time === undefined ? undefined : new Date(values.time);
const targetLsn = values.lsn;
const isBadTarget =
  (targetTime && Number.isNaN(targetTime.getTime())) ||
  (targetLsn !== undefined && !/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(targetLsn)) ||
  (targetTime && targetLsn !== undefined);
if (positionals.length > 1 || (values['in-place'] && !values.yes) || isBadTarget) {
  process.stderr.write(values['in-place'] ? `An in-place restore replaces the live database: add --yes.\n${USAGE}` : USAGE);
  process.exit(2);
}

const config = loadConfig();
const services = await createServices(config, { log: createLogger({ ...config, LOG_LEVEL: 'warn' }) });
const out = process.stdout;
let code = 0;
let isClosed = false;
try {
  if (targetTime || targetLsn) {
    const pointInTime = targetTime?.toISOString() ?? targetLsn!;
    const force = values.force ? { reason: values.force } : undefined;
    const target = values['in-place'] ? 'in-place' : 'scratch';
    const restore = await requestRestore(services, {
      actorId: null,
      backupId: positionals[0],
      targetTime,
      targetLsn,
      target,
      isConfirmed: true,
      force,
    });
    out.write(`restoring to ${pointInTime} from backup ${restore.backup_id}\n`);
    const printer = createProgressPrinter(out, null);
    const done = await runRestore(services, restore.id, { onProgress: (progress) => printer.update(progress) });
    printer.end();
    if (done?.status !== 'succeeded' || !done.result) throw new Error(`restore FAILED: ${done?.error?.code}: ${done?.error?.message}`);
    for (const table of done.result.tables) out.write(`  ${table.name}: ${table.rows} rows\n`);
    const where = done.result.dataDirectory
      ? `into the scratch cluster ${done.result.dataDirectory} (stopped; start it with pg_ctl -D)`
      : 'into the live database';
    out.write(`restored to ${pointInTime} (pgBackRest backup ${done.result.backupLabel}) in ${done.result.durationMs} ms ${where}\n`);
  } else {
    const backupId = positionals[0] ?? (await latestVerifiedBackup(services.db, 'logical'))?.id;
    const backup = backupId ? await findBackup(services.db, backupId) : undefined;
    if (!backup) throw new Error(backupId ? `No backup ${backupId}` : 'There is no verified backup to restore');
    const printer = createProgressPrinter(out, backup.bytes === null ? null : Number(backup.bytes));
    const force = values.force ? { reason: values.force } : undefined;
    if (values['in-place'] && !config.DATABASE_URL) {
      if (backup.status !== 'verified' && !(backup.status === 'failed' && force))
        throw new Error(`Backup ${backup.id} is ${backup.status}, not verified`);
      isClosed = true;
      const aside = await restoreEmbeddedInPlace(services, backup, (progress) => printer.update(progress));
      printer.end();
      out.write(`restored ${backup.id} in place; the previous data directory is kept at ${aside}\n`);
    } else {
      const target = values['in-place'] ? 'in-place' : 'scratch';
      const restore = await requestRestore(services, { actorId: null, backupId: backup.id, target, isConfirmed: true, force });
      const done = await runRestore(services, restore.id, { onProgress: (progress) => printer.update(progress) });
      printer.end();
      if (done?.status !== 'succeeded') throw new Error(`restore FAILED: ${done?.error?.code}: ${done?.error?.message}`);
      const where =
        target === 'in-place'
          ? 'the live database'
          : config.DATABASE_URL
            ? `database ${done.database_name}`
            : scratchPgliteDir(config.DATA_DIR, done.database_name!);
      out.write(`restored backup ${backup.id} into ${where}\n`);
    }
  }
} catch (error) {
  out.write(`${(error as Error).message}\n`);
  code = 1;
} finally {
  if (!isClosed) await services.close();
}
process.exit(code);
