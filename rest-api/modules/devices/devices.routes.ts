import { z } from 'zod';
import { ConflictError, NotFoundError } from '@shared/errors.ts';
import { retryAfterFailover } from '@shared/failover/retryAfterFailover.ts';
import { checkPushEndpoint } from '@shared/push/checkPushEndpoint.ts';
import { loadVapidDetails, type VapidDetails } from '@shared/push/vapidKeys.ts';
import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf } from '../../http/schemas.ts';
import { presentDevice } from './device.presenter.ts';
import { deleteOwnDevice, findOwnDevice, listDevices, updateOwnDevice, upsertDevice } from './devices.repo.ts';
import { DeviceIdSchema, DeviceSchema, PushKeySchema, RegisterDeviceSchema, UpdateDeviceSchema } from './devices.schemas.ts';
import { createPushDeliverQueue, PUSH_DELIVER } from './pushQueue.ts';
import { queueMessagePushes } from './queueMessagePushes.ts';

const tag = 'devices';

/**
 * Most devices one person may register: each is an address the server POSTs to whenever a message
 * arrives, so the count is kept to what one person carries.
 */
export const MAX_DEVICES_PER_USER = 20;

/** Devices that receive push notifications (Web Push) of new messages in conversations one can read. */
export function deviceRoutes(api: ApiRouter, services: Services): void {
  const { db, bus, jobs, config, log } = services;
  let vapid: Promise<VapidDetails> | undefined;
  // Loaded once per process; a failed load (the database briefly away) is tried again by the next caller.
  const vapidDetails = async () => {
    vapid ??= loadVapidDetails(db, config);
    try {
      return await vapid;
    } catch (error) {
      vapid = undefined;
      throw error;
    }
  };
  jobs.define(createPushDeliverQueue(services, vapidDetails));
  // A message stored just before the primary was lost still notifies: its pushes are queued on the new one.
  const stop = bus.subscribe('message.created', (event) =>
    retryAfterFailover(db, () => queueMessagePushes(services, event)).then(
      () => undefined,
      (error: unknown) => log.error({ err: error, module: 'devices', messageId: event.message.id }, 'could not queue pushes for a message'),
    ),
  );
  services.beforeClose(async () => stop());

  api.route(
    {
      method: 'get',
      path: '/api/devices/push-key',
      tag,
      summary: "The deployment's VAPID public key, for `pushManager.subscribe({ applicationServerKey })`",
      responses: { 200: { description: 'The key', schema: dataOf(PushKeySchema) } },
    },
    async (_req, res) => {
      res.json({ data: { publicKey: (await vapidDetails()).publicKey } });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/devices',
      tag,
      summary:
        "Register this browser's push subscription (`webpush`) or the app's Expo push token (`expo`); new messages in " +
        'conversations you can read then reach it. Registering the same subscription or token again updates it (200)',
      request: RegisterDeviceSchema,
      errors: [409],
      responses: {
        201: { description: 'Registered', schema: dataOf(DeviceSchema) },
        200: { description: 'Already registered: updated', schema: dataOf(DeviceSchema) },
      },
    },
    async (req, res) => {
      const { body } = req.input;
      const address = body.kind === 'webpush' ? body.subscription.endpoint : body.token;
      if (body.kind === 'webpush') await checkPushEndpoint(address, config.PUSH_PRIVATE_HOSTS);
      const existing = await listDevices(db, req.actor.id);
      const isKnown = existing.some((device) => device.address === address);
      if (!isKnown && existing.length >= MAX_DEVICES_PER_USER) {
        throw new ConflictError(`You have ${MAX_DEVICES_PER_USER} devices registered; remove one first`, 'too_many_devices');
      }
      const { row, isNew } = await upsertDevice(db, {
        userId: req.actor.id,
        kind: body.kind,
        address,
        p256dh: body.kind === 'webpush' ? body.subscription.keys.p256dh : null,
        auth: body.kind === 'webpush' ? body.subscription.keys.auth : null,
        name: body.name ?? '',
        previews: body.previews,
      });
      res.status(isNew ? 201 : 200).json({ data: presentDevice(row) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/devices',
      tag,
      summary: 'Your devices, newest first',
      responses: { 200: { description: 'The devices', schema: dataOf(z.array(DeviceSchema)) } },
    },
    async (req, res) => {
      res.json({ data: (await listDevices(db, req.actor.id)).map(presentDevice) });
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/api/devices/:id',
      tag,
      summary: 'Rename a device, or allow or stop message previews on it',
      request: UpdateDeviceSchema,
      errors: [404],
      responses: { 200: { description: 'Updated', schema: dataOf(DeviceSchema) } },
    },
    async (req, res) => {
      const row = await updateOwnDevice(db, req.actor.id, req.input.params.id, req.input.body);
      if (!row) throw new NotFoundError('Device not found');
      res.json({ data: presentDevice(row) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/api/devices/:id',
      tag,
      summary: 'Stop pushing to a device',
      request: DeviceIdSchema,
      errors: [404],
      responses: { 204: { description: 'Removed' } },
    },
    async (req, res) => {
      if (!(await deleteOwnDevice(db, req.actor.id, req.input.params.id))) throw new NotFoundError('Device not found');
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/devices/:id/test',
      tag,
      summary: 'Send a test notification to one of your devices',
      request: DeviceIdSchema,
      errors: [404],
      responses: { 202: { description: 'Queued', schema: dataOf(z.object({ jobId: z.string() })) } },
    },
    async (req, res) => {
      const device = await findOwnDevice(db, req.actor.id, req.input.params.id);
      if (!device) throw new NotFoundError('Device not found');
      const notification = { type: 'test' as const, title: 'TwinMCP Collab', body: 'Notifications are on for this device', url: '/' };
      const jobId = await jobs.enqueue(PUSH_DELIVER, { deviceId: device.id, notification });
      res.status(202).json({ data: { jobId } });
    },
  );
}
