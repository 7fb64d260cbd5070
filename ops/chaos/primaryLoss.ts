import { z } from 'zod';
import { defineQueue } from '@shared/jobs/defineQueue.ts';
import { createAutoFailoverCluster, type AutoFailoverCluster } from '../../test/autoFailoverCluster.ts';
import { documentInDatabase, startTestCollab, type TestCollab } from '../../test/collab.ts';
import { paragraphMarkers, startTypist } from '../../test/collabTypist.ts';
import { startOperatorApp, type OperatorApp } from '../../test/operatorApp.ts';
import { monitorTimings, readUntilAnswered, waitForPrimaryWithStandby, waitForRecordedFailover } from './formationChecks.ts';
import { checkStored, startWriter, storedMessagesSql } from './messageWriter.ts';
import { pollUntil, pollUntilAsync } from './pollUntil.ts';
import { watchPrimaries } from './primaryWatch.ts';
import type { AutoFailoverNode } from '../../test/autoFailoverCluster.ts';
import type { ChaosLog, DrillResult, ScenarioRig } from './scenario.ts';

/** A job that only has to run: the queue's pool must follow the primary too. */
const echo = defineQueue({
  name: 'chaos.echo',
  payload: z.object({ drill: z.number().int() }),
  expireInSeconds: 30,
  handler: async () => ({}),
});

/** pg_auto_failover will not fail over in the first 10 s after its monitor starts (startup_grace_period). */
const MONITOR_GRACE_MS = 11_000;

/** How a drill takes the primary away, and how it gives the node back. */
export interface PrimaryFault {
  /** Past tense for the log: `killed`, `froze`. */
  verb: string;
  /** Injects the fault into the primary node. */
  inject(cluster: AutoFailoverCluster, victim: AutoFailoverNode): Promise<void>;
  /** Runs once writes have resumed on the survivor (a frozen node is thawed here, whatever happened). */
  afterFailover?(cluster: AutoFailoverCluster, victim: AutoFailoverNode): Promise<void>;
  /** Brings the node back as a standby (a killed node's keeper is started again). */
  rejoin?(cluster: AutoFailoverCluster, victim: AutoFailoverNode): Promise<void>;
}

/**
 * The rig of issue 14's primary drills: the REST API runs on a multi-host DATABASE_URL against a
 * pg_auto_failover formation; in each drill a writer posts messages through HTTP while a typist edits the
 * conversation's draft through the collab server, and `fault` takes the primary node away. Writes come
 * back by themselves; afterwards every acknowledged message and edit must be there, a background job runs
 * on the new primary, /api/dr/status shows the failover, and the old primary is a synchronous standby
 * again (so the next drill takes the other node).
 */
export async function setupPrimaryLoss(log: ChaosLog, fault: PrimaryFault): Promise<ScenarioRig> {
  let cluster: AutoFailoverCluster | undefined;
  let app: OperatorApp | undefined;
  let collab: TestCollab | undefined;
  try {
    cluster = await createAutoFailoverCluster();
    log(`pg_auto_failover formation ready in ${cluster.startupMs} ms`);
    const clusterReadyAt = Date.now();
    app = await startOperatorApp({
      env: { DATABASE_URL: cluster.databaseUrl, DATABASE_CONNECT_TIMEOUT_MS: '1000' },
      queues: [echo],
    });
    collab = await startTestCollab(app.testApp);
    const rig = { cluster, app, collab, clusterReadyAt };
    return {
      drill: (drill) => runDrill(rig, drill, fault, log),
      close: () => closeAll(rig),
    };
  } catch (error) {
    await closeAll({ cluster, app, collab });
    throw error;
  }
}

interface Rig {
  cluster: AutoFailoverCluster;
  app: OperatorApp;
  collab: TestCollab;
  clusterReadyAt: number;
}

async function closeAll(rig: Partial<Rig>): Promise<void> {
  await rig.collab?.close().catch(() => {});
  await rig.app?.close().catch(() => {});
  await rig.cluster?.close();
}

async function runDrill(
  { cluster, app, collab, clusterReadyAt }: Rig,
  drill: number,
  fault: PrimaryFault,
  log: ChaosLog,
): Promise<DrillResult> {
  const violations: string[] = [];
  const victim = await waitForPrimaryWithStandby(cluster);
  const survivor = cluster.nodes.find((node) => node !== victim)!;
  const graceLeft = clusterReadyAt + MONITOR_GRACE_MS - Date.now();
  if (graceLeft > 0) await new Promise((resolve) => setTimeout(resolve, graceLeft));

  const label = `p${drill}${Date.now().toString(36)}`;
  const watch = watchPrimaries(cluster);
  const writer = startWriter({ baseUrl: app.baseUrl, conversationId: app.conversationId, headers: app.headers, label });
  const connection = collab.connect(`conversation:${app.conversationId}`, app.user.accessToken);
  await connection.synced;
  const typist = startTypist(connection.provider, connection.doc, `${label}-edit`);
  await writer.waitForAcknowledged(20, 30_000);
  await pollUntil(() => (typist.acknowledged.length > 0 ? true : undefined), 30_000, 'a first acknowledged edit');

  /** Twenty more messages acknowledged within 30 s; a stall is recorded (and the drill goes on) rather than thrown. */
  const writesGoOn = (when: string) =>
    writer
      .waitForAcknowledged(writer.acknowledged.length + 20, 30_000)
      .catch((error: Error) => violations.push(`writes stalled ${when}: ${error.message}`));

  const killedAt = Date.now();
  await fault.inject(cluster, victim);
  let firstWriteAt: number;
  try {
    firstWriteAt = await writer.waitForAcknowledgedSentAfter(killedAt, 60_000);
    await writesGoOn('after the failover');
  } finally {
    await fault.afterFailover?.(cluster, victim);
  }
  // Writing on while the old primary comes back (a thawed one serves sessions until its keeper stops it).
  await writesGoOn('while the old primary comes back');
  await writer.stop();
  // Every edit typed is acknowledged in the end: the collab server got through the failover too.
  await typist.stop();
  connection.destroy();
  watch.stop();

  const stored = checkStored(writer, await readUntilAnswered(cluster, survivor, storedMessagesSql(app.conversationId, label)));
  const draft = paragraphMarkers(await documentInDatabase(app.testApp.services.db, app.conversationId));
  const lostEdits = typist.acknowledged.filter(({ marker }) => !draft.has(marker));
  const firstEditAfter = typist.acknowledged.find(({ at }) => at >= killedAt);
  const timings = await monitorTimings(cluster, victim, survivor, killedAt);
  log(`${fault.verb} ${victim.name}; monitor events:\n    ${timings.events.join('\n    ')}`);

  violations.push(...writer.unexpectedAnswers.map((answer) => `writer got ${answer.status} ${answer.code ?? ''} for ${answer.content}`));
  if (stored.duplicated.length > 0) violations.push(`messages stored twice despite their Idempotency-Key: ${stored.duplicated.join(', ')}`);
  if ((await cluster.role(survivor)) !== 'writable') violations.push(`${survivor.name} does not take writes after the failover`);
  // Background jobs run on the new primary as well.
  const jobId = await app.testApp.services.jobs.enqueue(echo, { drill });
  await pollUntilAsync(
    async () => (await app.testApp.services.jobs.findJob(echo, jobId))?.state === 'completed',
    30_000,
    'the job to complete',
  ).catch(() => violations.push('a job enqueued after the failover did not complete within 30 s'));
  // The operator's view: the survivor is the primary, and the failover is on record with its write gap.
  const survivorAddress = `127.0.0.1:${survivor.port}`;
  const status = await waitForRecordedFailover(app.baseUrl, app.headers, survivorAddress);
  if (status.primary.server !== survivorAddress) violations.push(`/api/dr/status names ${status.primary.server} as primary`);
  // Every process that lived through the failover records it; the REST app's row must name both nodes. A row
  // from a server to itself is a process that gave the primary up for a moment (it stopped answering in time).
  const recorded = await app.testApp.services
    .db<{ old_primary: string; new_primary: string }>('failover_events')
    .where('detected_at', '>=', new Date(killedAt - 1_000))
    .select('old_primary', 'new_primary');
  if (!recorded.some((row) => row.old_primary === `127.0.0.1:${victim.port}` && row.new_primary === survivorAddress))
    violations.push(`no failover from ${victim.name} to ${survivor.name} in failover_events: ${JSON.stringify(recorded)}`);

  const restartedAt = Date.now();
  await fault.rejoin?.(cluster, victim);
  await cluster.waitForStates({ [survivor.name]: 'primary', [victim.name]: 'secondary' }, 120_000);
  // Rejoined, the old primary is a synchronous standby again, as the operator sees it.
  await waitForRecordedFailover(
    app.baseUrl,
    app.headers,
    survivorAddress,
    ({ standbys }) => standbys.length === 1 && standbys[0]!.synchronous && standbys[0]!.state === 'streaming',
  ).catch((error: Error) => violations.push(`the old primary did not rejoin as a synchronous standby: ${error.message}`));

  const operations = writer.operations();
  return {
    detectionMs: timings.detectionMs,
    promotionMs: timings.promotionMs,
    firstWriteMs: firstWriteAt - killedAt,
    acknowledged: writer.acknowledged.length + typist.acknowledged.length,
    lostAcknowledged: stored.lost.length + lostEdits.length,
    maxPrimaries: watch.maxWritable,
    operations: {
      attempted: operations.attempted + typist.written.length,
      succeeded: operations.succeeded + typist.acknowledged.length,
    },
    violations,
    notes: {
      [fault.verb]: victim.name,
      messagesAcknowledged: writer.acknowledged.length,
      editsAcknowledged: typist.acknowledged.length,
      firstEditAfterFaultMs: firstEditAfter ? firstEditAfter.at - killedAt : 'none',
      requests: JSON.stringify(writer.statusCounts()),
      probeRounds: watch.rounds,
      strandedBesidePrimaryRounds: watch.strandedBesidePrimaryRounds,
      writeGapRecordedMs: status.lastFailover?.writeGapMs ?? 'none',
      primaryGivenUpAndFoundAgain: recorded.filter((row) => row.old_primary === row.new_primary).length,
      syncStandbyAgainMs: Date.now() - restartedAt,
      typistCloses: connection.closes.length,
    },
  };
}
