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
  fencedAt: z.iso.datetime().nullable().describe('A planned switchover: the monitor saw the old primary stop taking writes'),
  promotedAt: z.iso.datetime().nullable().describe('A planned switchover: the monitor saw the standby become primary'),
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

export const SwitchoverRequestSchema = z.object({
  body: z
    .object({
      target: z
        .string()
        .min(1)
        .max(300)
        .optional()
        .describe(
          'The standby to promote: its pg_auto_failover node name, or host:port as the monitor has it. ' +
            "Default: the monitor's healthy secondary of highest candidate priority",
        ),
    })
    .strict(),
});

const SwitchoverData = z.object({
  oldPrimary: z.string().describe('host:port of the server that took writes before, as this process reaches it'),
  newPrimary: z.string().describe('host:port of the server taking writes now'),
  oldNode: z.string().describe("The old primary's pg_auto_failover node name"),
  newNode: z.string().describe("The promoted standby's node name"),
  requestedAt: z.iso.datetime(),
  fencedAt: z.iso.datetime().nullable().describe('The monitor saw the old primary stop taking writes (draining)'),
  promotedAt: z.iso.datetime().nullable().describe('The monitor saw the standby become primary (wait_primary or primary)'),
  firstWriteAt: z.iso.datetime().describe("This process's first write on the new primary committed"),
  durationMs: z.number().int().describe('From requestedAt to firstWriteAt'),
});
export const SwitchoverResponseSchema = z.object({ data: SwitchoverData });
export type Switchover = z.infer<typeof SwitchoverData>;

const Check = z.object({
  ok: z.boolean(),
  latencyMs: z.number().int(),
  detail: z.string().describe('`HTTP 200`, `ECONNREFUSED`, `timeout`; for a database: writable, read_only, standby or unreachable'),
});

const Region = z.object({
  name: z.string(),
  apiUrl: z.string().describe("The region's REST API"),
  collabUrl: z.string().describe("The region's collaboration server"),
  status: z
    .enum(['healthy', 'degraded', 'down', 'unknown'])
    .describe(
      'down: its API gives no answer; degraded: its API is not ready or its database node does not answer; unknown: not checked yet',
    ),
  role: z.enum(['primary', 'standby', 'unknown']).describe("primary: the region's database node takes the writes"),
  checkedAt: z.iso.datetime().nullable(),
  databaseHost: z.string().nullable().optional().describe('Operators only: host:port of its database node'),
  checks: z
    .object({ api: Check, database: Check.nullable() })
    .nullable()
    .optional()
    .describe('Operators only: what each component answered in the latest round'),
});

export const RegionsSchema = z.object({
  data: z.object({
    self: z.string().nullable().describe('The region of the node that answered (REGION); null with a single region'),
    regions: z.array(Region).describe('Empty when the deployment has a single region (REGIONS unset)'),
  }),
});
export type Regions = z.infer<typeof RegionsSchema>['data'];
