import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { auditActor, writeAudit } from '@shared/audit.ts';
import { NotFoundError } from '@shared/errors.ts';
import { pendingPermissionsOf } from './plugin.presenter.ts';
import { findPlugin, updatePluginRow, type PluginRow } from './plugins.repo.ts';

interface Props {
  /** The operator consenting. */
  actor: Actor;
  pluginId: string;
  ip?: string;
}

/**
 * Grants everything the installed version asks for and enables it: how a version that asked for more
 * permissions than were granted comes back into service. The audit row names what was granted.
 */
export async function consentToPlugin(db: Knex, props: Props): Promise<PluginRow> {
  return db.transaction(async (trx) => {
    const plugin = await findPlugin(trx, props.pluginId, { forUpdate: true });
    if (!plugin) throw new NotFoundError('Plugin not found');
    const granted = pendingPermissionsOf(plugin);
    const updated = await updatePluginRow(trx, plugin.id, { granted_permissions: plugin.permissions, enabled: true });
    await writeAudit(trx, {
      ...auditActor(props.actor),
      action: 'plugin.consented',
      subjectType: 'plugin',
      subjectId: plugin.id,
      ip: props.ip,
      data: { version: plugin.version, granted },
    });
    return updated;
  });
}
