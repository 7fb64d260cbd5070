import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { auditActor, writeAudit } from '@shared/audit.ts';
import { NotFoundError } from '@shared/errors.ts';
import { findWorkspaceForActor } from '../workspaces/findWorkspaceForActor.ts';
import { findPlugin, setWorkspacePluginRow } from './plugins.repo.ts';

interface Props {
  /** A workspace admin (or its owner, who is one). */
  actor: Actor;
  workspaceId: string;
  pluginId: string;
  enabled: boolean;
}

/**
 * Turns an installed plugin on or off for a workspace's conversations. Only those who may update the
 * workspace (admins) may; members get 403 and non-members 404, as for the workspace itself.
 */
export async function setWorkspacePlugin(db: Knex, props: Props): Promise<void> {
  await db.transaction(async (trx) => {
    await findWorkspaceForActor(trx, props.actor, props.workspaceId, 'update');
    if (!(await findPlugin(trx, props.pluginId))) throw new NotFoundError('Plugin not found');
    await setWorkspacePluginRow(trx, props.workspaceId, props.pluginId, props.enabled);
    await writeAudit(trx, {
      ...auditActor(props.actor),
      action: props.enabled ? 'workspace.plugin_enabled' : 'workspace.plugin_disabled',
      subjectType: 'workspace',
      subjectId: props.workspaceId,
      data: { pluginId: props.pluginId },
    });
  });
}
