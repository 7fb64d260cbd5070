import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { auditActor, writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { ConflictError, NotFoundError } from '@shared/errors.ts';
import { pendingPermissionsOf } from './plugin.presenter.ts';
import { findPlugin, updatePluginRow, type PluginRow } from './plugins.repo.ts';
import type { PluginRuntimePort } from './pluginRuntimePort.ts';
import type { RemotePluginCalls } from './RemotePluginCalls.ts';
import { stopPluginEverywhere } from './stopPluginEverywhere.ts';

interface Props {
  /** The operator. */
  actor: Actor;
  pluginId: string;
  /** false: the kill switch. */
  enabled?: boolean;
  /** In the default set for personal conversations. */
  isDefault?: boolean;
  ip?: string;
}

/**
 * Turns a plugin on or off for the whole deployment, or in or out of the default set. Disabling is
 * the kill switch: once committed, running calls stop on every node and new ones are refused. A plugin
 * waiting for consent cannot be enabled here (409 `consent_required`): consent is its own, audited step.
 */
export async function updatePlugin(
  deps: { db: Knex; bus: Bus; runtime?: PluginRuntimePort; remote?: RemotePluginCalls },
  props: Props,
): Promise<PluginRow> {
  const plugin = await deps.db.transaction(async (trx) => {
    const row = await findPlugin(trx, props.pluginId, { forUpdate: true });
    if (!row) throw new NotFoundError('Plugin not found');
    if (props.enabled === true && pendingPermissionsOf(row).length > 0) {
      throw new ConflictError('The installed version asks for permissions not granted yet; consent first', 'consent_required');
    }
    const changes = {
      ...(props.enabled !== undefined ? { enabled: props.enabled } : {}),
      ...(props.isDefault !== undefined ? { is_default: props.isDefault } : {}),
    };
    const updated = await updatePluginRow(trx, row.id, changes);
    await writeAudit(trx, {
      ...auditActor(props.actor),
      action: props.enabled === false ? 'plugin.disabled' : 'plugin.changed',
      subjectType: 'plugin',
      subjectId: row.id,
      ip: props.ip,
      data: { enabled: updated.enabled, isDefault: updated.is_default },
    });
    return updated;
  });
  if (props.enabled === false) await stopPluginEverywhere(deps, plugin.id, 'disabled');
  return plugin;
}
