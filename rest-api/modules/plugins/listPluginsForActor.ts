import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { isOperator } from '@shared/operators.ts';
import { findWorkspaceForActor } from '../workspaces/findWorkspaceForActor.ts';
import { listAllPlugins, listDefaultPlugins, listWorkspacePlugins, type ListedPluginRow } from './plugins.repo.ts';

/**
 * The plugins someone may use: a workspace's enabled set (members only), or the deployment's default
 * set. Operators see every installed plugin, enabled or not, and learn they are operators (the
 * presenter then shows grants and pending consent).
 */
export async function listPluginsForActor(
  db: Knex,
  props: { actor: Actor; workspaceId?: string },
): Promise<{ plugins: ListedPluginRow[]; isOperator: boolean }> {
  const operator = await isOperator(db, props.actor.id);
  if (props.workspaceId) {
    await findWorkspaceForActor(db, props.actor, props.workspaceId, 'read');
    return { plugins: await listWorkspacePlugins(db, props.workspaceId), isOperator: operator };
  }
  return { plugins: operator ? await listAllPlugins(db) : await listDefaultPlugins(db), isOperator: operator };
}
