import type { Knex } from 'knex';
import { CapabilityError, stringArgument } from './CapabilityError.ts';

/** Largest value one key holds, in bytes of JSON. */
export const STORAGE_VALUE_MAX_BYTES = 64 * 1024;
/** Most bytes of values one plugin keeps for one user. */
export const STORAGE_TOTAL_MAX_BYTES = 1024 * 1024;
/** Longest key, in characters. */
export const STORAGE_KEY_MAX_CHARS = 256;

/** Storage is per plugin AND per user: a plugin never reads another plugin's keys, nor one user another's. */
interface Scope {
  db: Knex;
  pluginId: string;
  userId: string;
}

function keyOf(args: unknown[]): string {
  const key = stringArgument(args[0], 'key', STORAGE_KEY_MAX_CHARS)!;
  // eslint-disable-next-line no-control-regex -- PostgreSQL text refuses NUL
  if (key === '' || /\u0000/.test(key)) throw new CapabilityError('invalid_argument', 'key must be a non-empty string without NUL');
  return key;
}

export async function storageGet(scope: Scope, args: unknown[]): Promise<unknown> {
  const row: { value: unknown } | undefined = await scope
    .db('plugin_storage')
    .where({ plugin_id: scope.pluginId, user_id: scope.userId, key: keyOf(args) })
    .first('value');
  return row ? row.value : null;
}

/**
 * Stores a JSON value under `key`. The value and the plugin's total for this user are capped
 * ('storage_value_too_large', 'storage_quota_exceeded'); an advisory lock per (plugin, user) makes
 * the quota check and the write one step, so concurrent writes cannot overshoot together.
 */
export async function storageSet(scope: Scope, args: unknown[]): Promise<null> {
  const key = keyOf(args);
  if (args[1] === undefined) throw new CapabilityError('invalid_argument', 'value is required (use storage.delete to remove a key)');
  let json: string;
  try {
    json = JSON.stringify(args[1]);
  } catch {
    throw new CapabilityError('invalid_argument', 'value must be JSON');
  }
  const size = Buffer.byteLength(json);
  if (size > STORAGE_VALUE_MAX_BYTES) {
    throw new CapabilityError('storage_value_too_large', `A value may be at most ${STORAGE_VALUE_MAX_BYTES} bytes of JSON`);
  }
  await scope.db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`plugin_storage:${scope.pluginId}:${scope.userId}`]);
    const where = { plugin_id: scope.pluginId, user_id: scope.userId };
    const [{ total }] = (await trx('plugin_storage').where(where).whereNot({ key }).sum({ total: 'size' })) as [{ total: string | null }];
    if (Number(total ?? 0) + size > STORAGE_TOTAL_MAX_BYTES) {
      throw new CapabilityError('storage_quota_exceeded', `A plugin may keep at most ${STORAGE_TOTAL_MAX_BYTES} bytes per user`);
    }
    await trx('plugin_storage')
      .insert({ ...where, key, value: json, size, updated_at: trx.fn.now() })
      .onConflict(['plugin_id', 'user_id', 'key'])
      .merge(['value', 'size', 'updated_at']);
  });
  return null;
}

export async function storageDelete(scope: Scope, args: unknown[]): Promise<boolean> {
  const deleted = await scope
    .db('plugin_storage')
    .where({ plugin_id: scope.pluginId, user_id: scope.userId, key: keyOf(args) })
    .delete();
  return deleted > 0;
}
