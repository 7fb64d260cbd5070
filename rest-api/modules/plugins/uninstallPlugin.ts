import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { auditActor, writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { NotFoundError } from '@shared/errors.ts';
import { deletePluginRow, findPlugin } from './plugins.repo.ts';
import type { PluginRuntimePort } from './pluginRuntimePort.ts';
import type { RemotePluginCalls } from './RemotePluginCalls.ts';
import { stopPluginEverywhere } from './stopPluginEverywhere.ts';

interface Props {
  /** The operator. */
  actor: Actor;
  pluginId: string;
  ip?: string;
}

/**
 * Removes a plugin and everything it kept: its workspace settings, its storage and its invocation
 * records go with the row (foreign keys cascade); the audit log keeps the trail. Running calls stop
 * on every node once the delete commits.
 */
export async function uninstallPlugin(
  deps: { db: Knex; bus: Bus; runtime?: PluginRuntimePort; remote?: RemotePluginCalls },
  props: Props,
): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const plugin = await findPlugin(trx, props.pluginId, { forUpdate: true });
    if (!plugin) throw new NotFoundError('Plugin not found');
    await deletePluginRow(trx, plugin.id);
    await writeAudit(trx, {
      ...auditActor(props.actor),
      action: 'plugin.uninstalled',
      subjectType: 'plugin',
      subjectId: plugin.id,
      ip: props.ip,
      data: { version: plugin.version },
    });
  });
  await stopPluginEverywhere(deps, props.pluginId, 'uninstalled');
}
