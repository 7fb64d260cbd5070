import { summarize } from '../lib/latency.ts';
import { poolTrials, runFanOutTrial, type FanOutSettings, type FanOutTrial } from '../lib/fanOut.ts';
import { withOurCollab, withPlainCollab, type CollabNodes } from '../lib/collabServers.ts';
import type { LoadSettings, Scenario } from '../lib/types.ts';

/**
 * Trials per server. They alternate ours, plain, plain, ours, ours, plain, … (ABBA), both servers running
 * throughout, so whatever else the machine does in the meantime falls on both alike; each server's
 * latencies are pooled over its trials. One trial of one server swings by more than the 1.2× target.
 */
const TRIALS = 5;

/**
 * Fan-out on one document: every client edits on schedule and every other client receives it. Our
 * collab server (auth, limits, every edit written to PostgreSQL before it is acknowledged, stores,
 * message mirroring) against plain Hocuspocus with no extensions, in the same run. With `nodes: 2`, half
 * the clients sit on each node and edits cross through Redis (ours with REDIS_URL, plain Hocuspocus
 * with the official Redis extension). Clients run in 4 processes; `--duration` sets the measured
 * seconds of each trial.
 */
export function collabFanOut(clients: number, nodes = 1): Scenario {
  return {
    id: `collab-fan-out-${clients}${nodes > 1 ? `-${nodes}-nodes` : ''}`,
    title: `Collab fan-out, ${clients} clients on one document${nodes > 1 ? `, ${nodes} nodes through Redis` : ''}`,
    kind: 'collab',
    targets: { maxP99Ratio: 1.2, p99RatioInclusive: true, maxLostUpdates: 0 },
    approximateSeconds: (load) => 2 * TRIALS * (load.durationSeconds + 4),
    async run(load) {
      const settings = fanOutSettings(clients, load);
      const trial = async (collab: CollabNodes) =>
        runFanOutTrial({ urls: collab.urls, documentName: await collab.createDocument(), token: collab.token }, settings);
      const ours: FanOutTrial[] = [];
      const plain: FanOutTrial[] = [];
      await withOurCollab({ nodes }, (ourNodes) =>
        withPlainCollab({ nodes }, async (plainNodes) => {
          for (let i = 0; i < TRIALS; i++) {
            const order =
              i % 2 === 0
                ? ([
                    [ourNodes, ours],
                    [plainNodes, plain],
                  ] as const)
                : ([
                    [plainNodes, plain],
                    [ourNodes, ours],
                  ] as const);
            for (const [servers, trials] of order) trials.push(await trial(servers));
          }
        }),
      );
      const where = nodes > 1 ? `${nodes} nodes, Redis` : 'PostgreSQL';
      const perTrial = ours.map((t, i) => (summarize(t.latencies).p99 / summarize(plain[i]!.latencies).p99).toFixed(2));
      return {
        subject: poolTrials(`our collab server (${where})`, clients, ours),
        baseline: poolTrials(`plain Hocuspocus${nodes > 1 ? ` (${nodes} nodes, Redis extension)` : ''}`, clients, plain),
        notes: [
          `${TRIALS} interleaved trials per server, one edit per client every ${settings.intervalMs} ms; ` +
            `p99 ratio trial by trial: ${perTrial.join(', ')}`,
        ],
      };
    },
  };
}

/**
 * A steady edit rate that keeps the receipts, N × (N − 1) per round, within what 2 cores can deliver
 * and apply: each client every 250 ms up to 20 clients, every second up to 50, every 2 s past that.
 * Two warm-up rounds per trial.
 */
function fanOutSettings(clients: number, load: LoadSettings): FanOutSettings {
  const intervalMs = clients <= 20 ? 250 : clients <= 50 ? 1_000 : 2_000;
  return { clients, intervalMs, warmupRounds: 2, rounds: Math.max(1, Math.ceil((load.durationSeconds * 1000) / intervalMs)) };
}
