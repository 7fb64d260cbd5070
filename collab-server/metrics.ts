import type { Hocuspocus } from '@hocuspocus/server';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createMetricsRegistry } from '@shared/metrics.ts';

/** The collab server's registry, and the hooks extensions call to count what they do. */
export interface CollabMetrics {
  registry: Registry;
  /** Counts one refused connection under its reason (a bounded set of AppError codes). */
  countRefusal(reason: string): void;
  /** Counts a connection the server closed, under its reason (`share_revoked`, `document_too_large`, …). */
  countClosed(reason: string): void;
  /** Counts one document loaded from PostgreSQL and the log rows merged into it. */
  countLoaded(loggedUpdates: number): void;
  /** Counts one store: written (with its size and the log rows folded in), skipped, or failed. */
  countStored(outcome: 'stored' | 'conversation_deleted' | 'failed', bytes?: number, compactedUpdates?: number): void;
  /** Counts one client update that had parts taken out: the items and deleted ranges removed. */
  countSanitized(items: number, deletions: number): void;
  /** Counts one commit of the update log: the edits it wrote, their bytes, and how long it took. */
  countLogged(edits: number, bytes: number, seconds: number): void;
}

/**
 * Process metrics plus what an operator watches on a collab node: open connections, documents held
 * in memory, refusals and closes by reason (a spike of `token_expired` means clients fail to refresh),
 * and the persistence path — every acknowledgement waits for an update-log commit, so its latency is
 * how long an editor's "saving…" lasts.
 * The gauges read Hocuspocus at scrape time, so they can never drift from the truth.
 */
export function createCollabMetrics(hocuspocus: () => Hocuspocus): CollabMetrics {
  const registry = createMetricsRegistry('collab-server');
  const registers = [registry];
  new Gauge({
    name: 'collab_connections',
    help: 'Open collaboration connections',
    registers,
    collect() {
      this.set(hocuspocus().getConnectionsCount());
    },
  });
  new Gauge({
    name: 'collab_documents',
    help: 'Documents loaded in memory',
    registers,
    collect() {
      this.set(hocuspocus().getDocumentsCount());
    },
  });
  const refused = new Counter({
    name: 'collab_connections_refused_total',
    help: 'Connections refused by onAuthenticate, by reason',
    labelNames: ['reason'],
    registers,
  });
  const closed = new Counter({
    name: 'collab_connections_closed_total',
    help: 'Connections the server closed, by reason',
    labelNames: ['reason'],
    registers,
  });
  const loaded = new Counter({ name: 'collab_documents_loaded_total', help: 'Documents loaded from PostgreSQL', registers });
  const replayed = new Counter({
    name: 'collab_updates_replayed_total',
    help: 'Update-log rows merged into documents as they loaded',
    registers,
  });
  const stored = new Counter({
    name: 'collab_documents_stored_total',
    help: 'Document stores, by outcome',
    labelNames: ['outcome'],
    registers,
  });
  const storedBytes = new Counter({ name: 'collab_documents_stored_bytes_total', help: 'Bytes of compact state written', registers });
  const compacted = new Counter({
    name: 'collab_updates_compacted_total',
    help: 'Update-log rows folded into stored states and deleted',
    registers,
  });
  const logged = new Counter({
    name: 'collab_updates_logged_total',
    help: 'Edits written to the update log before being acknowledged',
    registers,
  });
  const commits = new Counter({
    name: 'collab_update_log_commits_total',
    help: 'Update-log commits (each writes every edit queued since the last)',
    registers,
  });
  const loggedBytes = new Counter({
    name: 'collab_updates_logged_bytes_total',
    help: 'Bytes of edits written to the update log',
    registers,
  });
  const sanitized = new Counter({
    name: 'collab_client_updates_sanitized_total',
    help: 'Client updates that changed what clients may not write (those parts were left out)',
    registers,
  });
  const sanitizedParts = new Counter({
    name: 'collab_client_update_parts_removed_total',
    help: 'Items and deleted ranges left out of client updates, by kind',
    labelNames: ['kind'],
    registers,
  });
  const logLatency = new Histogram({
    name: 'collab_update_log_write_seconds',
    help: 'Time one update-log commit takes; acknowledgements wait for it, broadcasts do not',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  return {
    registry,
    countRefusal: (reason) => refused.inc({ reason }),
    countClosed: (reason) => closed.inc({ reason }),
    countLoaded(loggedUpdates) {
      loaded.inc();
      replayed.inc(loggedUpdates);
    },
    countStored(outcome, bytes = 0, compactedUpdates = 0) {
      stored.inc({ outcome });
      storedBytes.inc(bytes);
      compacted.inc(compactedUpdates);
    },
    countSanitized(items, deletions) {
      sanitized.inc();
      if (items > 0) sanitizedParts.inc({ kind: 'item' }, items);
      if (deletions > 0) sanitizedParts.inc({ kind: 'deletion' }, deletions);
    },
    countLogged(edits, bytes, seconds) {
      logged.inc(edits);
      commits.inc();
      loggedBytes.inc(bytes);
      logLatency.observe(seconds);
    },
  };
}
