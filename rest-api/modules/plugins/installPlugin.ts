import type { Knex } from 'knex';
import semver from 'semver';
import type { Actor } from '@shared/auth.ts';
import { auditActor, writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { ConflictError } from '@shared/errors.ts';
import { PluginSignatureError, readPluginPackage, verifyPluginPackage, type VerifyOptions } from '@shared/plugins/package/index.ts';
import { pendingPermissionsOf } from './plugin.presenter.ts';
import { findPlugin, insertPlugin, updatePluginRow, type PluginRow } from './plugins.repo.ts';
import type { PluginRuntimePort } from './pluginRuntimePort.ts';
import { stopPluginEverywhere } from './stopPluginEverywhere.ts';

interface Deps {
  db: Knex;
  bus: Bus;
  runtime?: PluginRuntimePort;
}

interface Props {
  /** The operator installing it. */
  actor: Actor;
  /** The uploaded `.tgz`. */
  tgz: Buffer;
  /** How strictly to verify (trusted keys, allowUnsigned). */
  verify: VerifyOptions;
  /** Install a version lower than or equal to the installed one. */
  force: boolean;
  ip?: string;
}

/**
 * Verifies a package and installs it. A new plugin is installed enabled, with what it asks for
 * granted (the operator installing it is consenting). A new version of an installed plugin keeps its
 * enabled state when it asks for nothing beyond what was granted; when it asks for more it is
 * installed disabled until an operator consents (`pendingPermissions`). A version not above the
 * installed one is refused (409 `plugin_version`) unless `force`. A refused package leaves an audit row.
 */
export async function installPlugin(deps: Deps, props: Props): Promise<{ plugin: PluginRow; created: boolean }> {
  const { db } = deps;
  let verified;
  try {
    verified = verifyPluginPackage(await readPluginPackage({ tgz: props.tgz }), props.verify);
  } catch (error) {
    if (error instanceof PluginSignatureError) {
      await writeAudit(db, {
        ...auditActor(props.actor),
        action: 'plugin.install_refused',
        subjectType: 'plugin',
        ip: props.ip,
        data: { level: error.level, ...(error.keyId ? { keyId: error.keyId } : {}) },
      });
    }
    throw error;
  }
  const { manifest, signature, entrySource } = verified;
  const fields = {
    name: manifest.name,
    version: manifest.version,
    publisher: manifest.publisher,
    description: manifest.description,
    manifest,
    source: entrySource,
    signature_level: signature.level,
    key_id: signature.keyId ?? null,
    permissions: manifest.permissions,
  };
  const result = await db.transaction(async (trx) => {
    const existing = await findPlugin(trx, manifest.id, { forUpdate: true });
    if (!existing) {
      const plugin = await insertPlugin(trx, {
        id: manifest.id,
        ...fields,
        granted_permissions: manifest.permissions,
        enabled: true,
        is_default: false,
        installed_by: props.actor.id,
      });
      await audit(trx, props, 'plugin.installed', plugin, {});
      return { plugin, created: true, wasEnabled: false };
    }
    if (existing.kind === 'remote') {
      throw new ConflictError(`${manifest.id} is a registered remote MCP server; remove it first`, 'plugin_id_taken');
    }
    if (!props.force && !semver.gt(manifest.version, existing.version)) {
      throw new ConflictError(
        `Version ${existing.version} is installed; ${manifest.version} is not newer (pass force=true to install it anyway)`,
        'plugin_version',
      );
    }
    const asksForMore =
      pendingPermissionsOf({ permissions: manifest.permissions, granted_permissions: existing.granted_permissions }).length > 0;
    const plugin = await updatePluginRow(trx, manifest.id, { ...fields, enabled: asksForMore ? false : existing.enabled });
    await audit(trx, props, 'plugin.updated', plugin, {
      previousVersion: existing.version,
      pendingPermissions: pendingPermissionsOf(plugin),
    });
    return { plugin, created: false, wasEnabled: existing.enabled };
  });
  // The old version's warm isolates must not keep serving; a plugin now waiting for consent stops everywhere.
  if (!result.created) {
    const isStopped = result.wasEnabled && !result.plugin.enabled;
    if (isStopped) await stopPluginEverywhere(deps, result.plugin.id, 'pending_consent');
    else await deps.runtime?.stopPlugin(result.plugin.id);
  }
  return { plugin: result.plugin, created: result.created };
}

function audit(trx: Knex, props: Props, action: string, plugin: PluginRow, data: Record<string, unknown>) {
  return writeAudit(trx, {
    ...auditActor(props.actor),
    action,
    subjectType: 'plugin',
    subjectId: plugin.id,
    ip: props.ip,
    data: { version: plugin.version, signatureLevel: plugin.signature_level, permissions: plugin.permissions, ...data },
  });
}
