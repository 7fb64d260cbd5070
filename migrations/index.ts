import type { Knex } from 'knex';
import * as foundation from './20261123000000_foundation.ts';
import * as sharingAndWorkspaces from './20261123010000_sharing_and_workspaces.ts';
import * as collaborativeDocuments from './20261123020000_collaborative_documents.ts';
import * as sessionRevocations from './20261124000000_session_revocations.ts';
import * as sessionsAndMessageEdits from './20261129000000_sessions_and_message_edits.ts';
import * as attachments from './20261129010000_attachments.ts';
import * as jobs from './20261129020000_jobs.ts';
import * as serviceAccounts from './20261129030000_service_accounts.ts';
import * as codeExecutions from './20261129040000_code_executions.ts';
import * as voiceTranscriptions from './20261129050000_voice_transcriptions.ts';
import * as imageAnalyses from './20261129060000_image_analyses.ts';
import * as plugins from './20261130010000_plugins.ts';
import * as remotePlugins from './20261201010000_remote_plugins.ts';
import * as backups from './20261201030000_backups.ts';
import * as idempotencyKeys from './20261201040000_idempotency_keys.ts';
import * as devices from './20261201050000_devices.ts';
import * as restores from './20261201060000_restores.ts';
import * as physicalBackups from './20261202010000_physical_backups.ts';
import * as backupMedia from './20261202010001_backup_media.ts';
import * as failoverEvents from './20261202020000_failover_events.ts';
import * as restoreTargetLsn from './20261202030000_restore_target_lsn.ts';
import * as switchoversAndRegions from './20261202071400_switchovers_and_regions.ts';
import * as idempotencyCommitMarker from './20261203010000_idempotency_commit_marker.ts';
import * as idempotencyClaimId from './20261204010000_idempotency_claim_id.ts';

/**
 * The migrations, in order. Listed here rather than discovered on disk so the same code runs under
 * tsx, jest and any bundler. Never edit a migration after it lands: add a new one.
 */
const migrations: Record<string, Knex.Migration> = {
  '20261123000000_foundation': foundation,
  '20261123010000_sharing_and_workspaces': sharingAndWorkspaces,
  '20261123020000_collaborative_documents': collaborativeDocuments,
  '20261124000000_session_revocations': sessionRevocations,
  '20261129000000_sessions_and_message_edits': sessionsAndMessageEdits,
  '20261129010000_attachments': attachments,
  '20261129020000_jobs': jobs,
  '20261129030000_service_accounts': serviceAccounts,
  '20261129040000_code_executions': codeExecutions,
  '20261129050000_voice_transcriptions': voiceTranscriptions,
  '20261129060000_image_analyses': imageAnalyses,
  '20261130010000_plugins': plugins,
  '20261201010000_remote_plugins': remotePlugins,
  '20261201030000_backups': backups,
  '20261201040000_idempotency_keys': idempotencyKeys,
  '20261201050000_devices': devices,
  '20261201060000_restores': restores,
  '20261202010000_physical_backups': physicalBackups,
  '20261202010001_backup_media': backupMedia,
  '20261202020000_failover_events': failoverEvents,
  '20261202030000_restore_target_lsn': restoreTargetLsn,
  '20261202071400_switchovers_and_regions': switchoversAndRegions,
  '20261203010000_idempotency_commit_marker': idempotencyCommitMarker,
  '20261204010000_idempotency_claim_id': idempotencyClaimId,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
