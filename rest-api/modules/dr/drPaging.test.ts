import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { grantOperator } from '@shared/operators.ts';
import type { BackupRow } from '@shared/backup/backups.repo.ts';
import { writeUserWithConversations } from '../../../test/backupDatabase.ts';
import { bearer, registerUser, type TestUser } from '../../../test/factories.ts';
import { startPushService, type PushServiceStandIn } from '../../../test/standIns/pushService.ts';
import { backUpAndSettle, flipOneByte, settledBackup, startDrApp } from './dr.fixtures.ts';

describe('a failed verification pages the operators’ devices by push', () => {
  let push: PushServiceStandIn;
  let t: Awaited<ReturnType<typeof startDrApp>>;
  let operator: TestUser;
  let someone: TestUser;

  beforeAll(async () => {
    push = await startPushService();
    t = await startDrApp('postgres', { PUSH_PRIVATE_HOSTS: push.host, VAPID_SUBJECT: 'mailto:ops@example.com', BACKUP_RETENTION: '1000b' });
    [operator, someone] = [await registerUser(t), await registerUser(t)];
    await grantOperator(t.services.db, operator.email, 'cli');
    await writeUserWithConversations(t.services.db, 10);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await push?.close();
  });

  it('pushes the backup and the reason to every device of every operator, and to nobody else', async () => {
    const register = async (user: TestUser) => {
      const subscription = push.subscribe();
      const res = await t.request.post('/api/devices').set(bearer(user)).send({ kind: 'webpush', subscription });
      expect(res.status).toBe(201);
      return subscription;
    };
    const [phone, laptop, bystander] = [await register(operator), await register(operator), await register(someone)];

    const backup = await backUpAndSettle(t, operator);
    expect(backup.status).toBe('verified');
    const { storage_key: key } = (await t.services.db<BackupRow>('backups').where({ id: backup.id }).first())!;
    await flipOneByte(t.services.storage, key);
    expect((await t.request.post(`/api/dr/backups/${backup.id}/verify`).set(bearer(operator))).status).toBe(202);
    const failed = await settledBackup(t, operator, backup.id);
    expect(failed.status).toBe('failed');
    const code = (failed.error as { code: string }).code;

    for (const device of [phone, laptop]) {
      const received = await push.waitFor((pushed) => pushed.subscriptionId === device.id);
      expect(received.payload).toEqual({
        type: 'backup',
        title: 'A backup failed its verification',
        body: expect.stringMatching(new RegExp(`^${code}: `)),
        url: `/api/dr/backups/${backup.id}`,
      });
    }
    // The bystander's device: the push job for it would have run with the operators'; none was queued.
    const jobs = await t.services.db('pgboss.job').where({ name: 'push.deliver' }).select('data');
    expect(jobs.map((job: { data: { deviceId: string } }) => job.data.deviceId)).toHaveLength(2);
    expect(push.received.filter((pushed) => pushed.subscriptionId === bystander.id)).toEqual([]);
  }, 120_000);
});
