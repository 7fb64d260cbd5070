import type { Knex } from 'knex';

/**
 * Devices that receive push notifications.
 *
 * - `devices`: one row per browser push subscription (`webpush`: its endpoint and the keys that encrypt
 *   for it) or app install (`expo`: its push token), owned by a user. An endpoint or token is unique:
 *   registering it again — the same browser signed in as someone else — moves it to that user.
 *   `previews` says whether notifications may carry message text.
 * - `push_vapid_keys`: the deployment's VAPID key pair when none is configured, made once by the first
 *   node that needs it, so every node signs pushes alike.
 * - `messages.push_queued_at`: set by the one node that queued a message's notifications; every API node
 *   hears of the message, and the first to set it wins.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('devices', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('kind').notNullable().checkIn(['webpush', 'expo']);
    // webpush: the subscription's endpoint; expo: the push token.
    t.text('address').notNullable().unique();
    t.text('p256dh');
    t.text('auth');
    t.text('name').notNullable().defaultTo('');
    t.boolean('previews').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_pushed_at', { useTz: true });
    t.index(['user_id']);
  });
  await knex.schema.createTable('push_vapid_keys', (t) => {
    t.integer('id').primary().checkIn(['1']);
    t.text('public_key').notNullable();
    t.text('private_key').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.alterTable('messages', (t) => {
    t.timestamp('push_queued_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => t.dropColumn('push_queued_at'));
  await knex.schema.dropTable('push_vapid_keys');
  await knex.schema.dropTable('devices');
}
