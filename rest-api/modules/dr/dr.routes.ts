import { NotFoundError, UnavailableError } from '@shared/errors.ts';
import { findBackup } from '@shared/backup/backups.repo.ts';
import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { presentPage } from '../../http/pagination.ts';
import { dataOf, pageOf } from '../../http/schemas.ts';
import { beginBackup } from './beginBackup.ts';
import { deleteBackup } from './deleteBackup.ts';
import { presentBackup, presentRestore } from './dr.presenter.ts';
import {
  BackupIdSchema,
  BackupSchema,
  ListBackupsSchema,
  RestoreIdSchema,
  RestoreSchema,
  StartBackupSchema,
  StartRestoreSchema,
} from './dr.schemas.ts';
import { backupQueueRef } from './drQueues.ts';
import { listBackupsPage } from './listBackupsPage.ts';
import { requestRestore } from './requestRestore.ts';
import { requestVerification } from './requestVerification.ts';
import { findRestore } from './restores.repo.ts';
import { isInPlaceRestoreRunning } from './inPlaceRestoreLock.ts';

/**
 * As an in-place restore ends, the restored tables hold the backup's list of backups and restores for a moment, until
 * the current list is written back: a row missing then is 503 (ask again), not 404.
 */
async function notFoundUnlessRestoring(services: Services): Promise<UnavailableError | undefined> {
  if (!services.config.DATABASE_URL || !(await isInPlaceRestoreRunning(services.db))) return undefined;
  return new UnavailableError('restore_in_progress', 'An in-place restore is ending; ask again in a moment', 2);
}

const tag = 'backups';

/** Backups and restores: operators only (`auth: 'operator'`), every call audited. */
export function drRoutes(api: ApiRouter, services: Services): void {
  const { db, jobs } = services;

  api.route(
    {
      method: 'post',
      path: '/api/dr/backups',
      tag,
      auth: 'operator',
      summary: 'Start a backup now; it is verified (restored into a scratch database and compared) as soon as it is stored',
      request: StartBackupSchema,
      errors: [409, 501],
      responses: { 202: { description: 'Started: the backup, running', schema: dataOf(BackupSchema) } },
    },
    async (req, res) => {
      const row = await db.transaction(async (trx) => {
        const started = await beginBackup(services, { actorId: req.actor.id, kind: req.input.body.kind, ip: req.ip, trx });
        await jobs.enqueue(backupQueueRef, { backupId: started.id, physicalType: req.input.body.type }, { trx });
        return started;
      });
      res.status(202).json({ data: presentBackup(row) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/dr/backups',
      tag,
      auth: 'operator',
      summary: 'List backups, newest first, deleted ones too',
      request: ListBackupsSchema,
      responses: { 200: { description: 'A page', schema: pageOf(BackupSchema) } },
    },
    async (req, res) => {
      const { limit, cursor } = req.input.query;
      const rows = await listBackupsPage(db, { limit, after: cursor });
      res.json(presentPage(rows, limit, (row) => [row.started_key, row.id], presentBackup));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/dr/backups/:id',
      tag,
      auth: 'operator',
      summary: 'A backup: status, size, duration, tables, verification result, and progress (bytes, tables, ETA) while it runs',
      request: BackupIdSchema,
      errors: [404, 503],
      responses: { 200: { description: 'The backup', schema: dataOf(BackupSchema) } },
    },
    async (req, res) => {
      const row = await findBackup(db, req.input.params.id);
      if (!row) throw (await notFoundUnlessRestoring(services)) ?? new NotFoundError('Backup not found');
      res.json({ data: presentBackup(row) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/dr/backups/:id/verify',
      tag,
      auth: 'operator',
      summary: 'Verify a stored backup again, as a job; the backup shows the result',
      request: BackupIdSchema,
      errors: [404, 409],
      responses: { 202: { description: 'Verification queued', schema: dataOf(BackupSchema) } },
    },
    async (req, res) => {
      const row = await requestVerification(services, { actorId: req.actor.id, backupId: req.input.params.id, ip: req.ip });
      res.status(202).json({ data: presentBackup(row) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/api/dr/backups/:id',
      tag,
      auth: 'operator',
      summary: 'Delete a backup’s object and mark it deleted; never the newest verified backup (409 `last_verified_backup`)',
      request: BackupIdSchema,
      errors: [404, 409],
      responses: { 204: { description: 'Deleted' } },
    },
    async (req, res) => {
      await deleteBackup(services, { actorId: req.actor.id, backupId: req.input.params.id, ip: req.ip });
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/dr/restores',
      tag,
      auth: 'operator',
      summary:
        'Restore a backup (default: the newest verified) into a new scratch database, or in place: in place answers 409 ' +
        '`confirmation_required` with a one-time `confirmationToken` first, and the API is read-only (503) while it runs. ' +
        'With `targetTime` or `targetLsn` (physical backups, pgBackRest): point-in-time recovery, into a scratch cluster or in place',
      request: StartRestoreSchema,
      errors: [400, 404, 409, 501],
      responses: { 202: { description: 'Restore queued', schema: dataOf(RestoreSchema) } },
    },
    async (req, res) => {
      const { targetTime, targetLsn, ...body } = req.input.body;
      const restore = await requestRestore(services, {
        ...body,
        targetTime: targetTime ? new Date(targetTime) : undefined,
        targetLsn,
        actorId: req.actor.id,
        ip: req.ip,
        jobs,
      });
      res.status(202).json({ data: presentRestore(restore) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/dr/restores/:id',
      tag,
      auth: 'operator',
      summary: 'A restore: status, the database restored into, and progress while it runs',
      request: RestoreIdSchema,
      errors: [404, 503],
      responses: { 200: { description: 'The restore', schema: dataOf(RestoreSchema) } },
    },
    async (req, res) => {
      const row = await findRestore(db, req.input.params.id);
      if (!row) throw (await notFoundUnlessRestoring(services)) ?? new NotFoundError('Restore not found');
      res.json({ data: presentRestore(row) });
    },
  );
}
