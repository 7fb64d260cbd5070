import type { Knex } from 'knex';

export interface DeviceRow {
  id: string;
  user_id: string;
  kind: 'webpush' | 'expo';
  address: string;
  p256dh: string | null;
  auth: string | null;
  name: string;
  previews: boolean;
  created_at: Date;
  last_pushed_at: Date | null;
}

/**
 * Stores a device for `userId`: a browser's subscription (its endpoint as the address, and the keys to
 * encrypt for it) or an app's Expo token. The address is unique: the same device registering again
 * updates its keys and settings, and a device now signed in as someone else moves to them.
 */
export async function upsertDevice(
  db: Knex,
  device: {
    userId: string;
    kind: DeviceRow['kind'];
    address: string;
    p256dh: string | null;
    auth: string | null;
    name: string;
    previews: boolean;
  },
): Promise<{ row: DeviceRow; isNew: boolean }> {
  const { rows } = await db.raw<{ rows: Array<DeviceRow & { is_new: boolean }> }>(
    `insert into devices (user_id, kind, address, p256dh, auth, name, previews)
     values (:userId, :kind, :address, :p256dh, :auth, :name, :previews)
     on conflict (address) do update
       set user_id = excluded.user_id, kind = excluded.kind, p256dh = excluded.p256dh, auth = excluded.auth,
           name = excluded.name, previews = excluded.previews
     returning *, (xmax = 0) as is_new`,
    device,
  );
  const { is_new: isNew, ...row } = rows[0]!;
  return { row, isNew };
}

export function listDevices(db: Knex, userId: string): Promise<DeviceRow[]> {
  return db<DeviceRow>('devices').where({ user_id: userId }).orderBy('created_at', 'desc');
}

/** The device if it is `userId`'s; another's is as missing as one that never was. */
export function findOwnDevice(db: Knex, userId: string, id: string): Promise<DeviceRow | undefined> {
  return db<DeviceRow>('devices').where({ id, user_id: userId }).first();
}

export async function updateOwnDevice(
  db: Knex,
  userId: string,
  id: string,
  changes: { name?: string; previews?: boolean },
): Promise<DeviceRow | undefined> {
  const [row] = await db<DeviceRow>('devices').where({ id, user_id: userId }).update(changes).returning('*');
  return row;
}

export async function deleteOwnDevice(db: Knex, userId: string, id: string): Promise<boolean> {
  return (await db('devices').where({ id, user_id: userId }).delete()) > 0;
}

export function findDevice(db: Knex, id: string): Promise<DeviceRow | undefined> {
  return db<DeviceRow>('devices').where({ id }).first();
}

/** Forgets a subscription the push service says is gone (404/410) — unless it was re-registered meanwhile. */
export async function deleteGoneDevice(db: Knex, device: Pick<DeviceRow, 'id' | 'address'>): Promise<void> {
  await db('devices').where({ id: device.id, address: device.address }).delete();
}

export async function markPushed(db: Knex, id: string): Promise<void> {
  await db('devices').where({ id }).update({ last_pushed_at: db.fn.now() });
}

/**
 * The devices of everyone who may read the conversation — its owner, or the members of its workspace
 * — except the author of what is being announced.
 */
export function devicesOfReaders(db: Knex, conversationId: string, exceptUserId: string | null): Promise<DeviceRow[]> {
  const readers = db
    .select('owner_id as user_id')
    .from('conversations')
    .where({ id: conversationId })
    .whereNull('workspace_id')
    .union(
      db
        .select('workspace_members.user_id')
        .from('workspace_members')
        .join('conversations', 'conversations.workspace_id', 'workspace_members.workspace_id')
        .where('conversations.id', conversationId),
    );
  const query = db<DeviceRow>('devices').whereIn('user_id', readers);
  return exceptUserId ? query.whereNot('user_id', exceptUserId) : query;
}

/** Every device of these users. */
export function devicesOfUsers(db: Knex, userIds: string[]): Promise<DeviceRow[]> {
  return db<DeviceRow>('devices').whereIn('user_id', userIds);
}
