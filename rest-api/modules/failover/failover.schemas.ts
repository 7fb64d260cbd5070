import { z } from 'zod';

const Standby = z.object({
  name: z.string().describe("The standby's application_name (pg_auto_failover: pgautofailover_standby_<id>)"),
  address: z.string().nullable().describe('Where its replication connection comes from'),
  state: z.string().describe('streaming, catchup…'),
  synchronous: z.boolean().describe('True when a commit waits for this standby (sync or quorum)'),
  syncState: z.string().describe('pg_stat_replication.sync_state: async, potential, sync or quorum'),
  lagBytes: z.number().int().nullable().describe('WAL written on the primary and not yet replayed on the standby'),
  lagMs: z.number().int().nullable().describe('How far behind its replay was, last it reported (null when idle)'),
});

const LastFailover = z.object({
  oldPrimary: z.string(),
  newPrimary: z.string(),
  reason: z.string().describe('What made the reporting process give up the old primary'),
  reportedBy: z.string().describe('The server process (host:pid) that lived through it'),
  detectedAt: z.iso.datetime(),
  resolvedAt: z.iso.datetime().describe('A writable server was found'),
  firstWriteAt: z.iso.datetime().describe("The reporting process's first write on the new primary committed"),
  writeGapMs: z.number().int().describe('From detectedAt to firstWriteAt'),
});

export const DatabaseStatusSchema = z.object({
  data: z.object({
    primary: z.object({
      server: z.string().nullable().describe('host:port of the server taking writes, as this process reaches it'),
      isFollowing: z.boolean().describe('True when DATABASE_URL lists several servers and this process follows the writable one'),
      isFailingOver: z.boolean().describe('True while this process is looking for the writable server'),
    }),
    standbys: z.array(Standby).describe("The primary's replication connections (empty without a standby, or without pg_monitor rights)"),
    lastFailover: LastFailover.nullable(),
  }),
});
export type DatabaseStatus = z.infer<typeof DatabaseStatusSchema>['data'];
