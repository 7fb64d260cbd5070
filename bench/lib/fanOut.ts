import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './childServer.ts';
import { summarize } from './latency.ts';
import type { Measurement } from './types.ts';

/** What one client process (bench/clients/fanOutWorker.ts) is told to do. */
export interface FanOutPlan {
  /** Node URLs; client `id` connects to `urls[id % urls.length]`. */
  urls: string[];
  documentName: string;
  token: string | null;
  /** The clients this process holds (ids out of 0 … clients − 1). */
  ids: number[];
  /** Clients on the document, over every process. */
  clients: number;
  /** Each client edits once per interval; client `id` at offset id/clients of it, so edits are spread evenly. */
  intervalMs: number;
  /** Rounds whose receipts count but whose latencies are not recorded. */
  warmupRounds: number;
  rounds: number;
  /** How long after its last edit a process waits for missing receipts. */
  drainMs: number;
}

/** What a client process found. */
export interface WorkerReport {
  type: 'done';
  /** Receipts its clients should have had: every other client's every edit. */
  expected: number;
  /** Distinct receipts. */
  received: number;
  /** Receipt time − send time of every measured receipt, ms. */
  latencies: number[];
}

export interface FanOutSettings {
  clients: number;
  /** Client processes; default 4 (one process applying N×(N−1) updates would measure itself). */
  workers?: number;
  intervalMs: number;
  warmupRounds: number;
  rounds: number;
}

/** The raw outcome of one fan-out trial: every measured latency, and the receipts expected and had. */
export interface FanOutTrial {
  latencies: number[];
  expected: number;
  received: number;
  /** Seconds the clients were editing (warm-up included). */
  seconds: number;
}

const WORKER = fileURLToPath(new URL('../clients/fanOutWorker.ts', import.meta.url));

/**
 * Opens `clients` providers on one document from several processes, lets each edit on schedule, and
 * records the time from each edit to its receipt by every other client, and the receipts lost.
 */
export async function runFanOutTrial(
  target: { urls: string[]; documentName: string; token: string | null },
  settings: FanOutSettings,
): Promise<FanOutTrial> {
  const workerCount = Math.min(settings.workers ?? 4, settings.clients);
  const workers: ChildProcess[] = [];
  try {
    const reports = Array.from({ length: workerCount }, (_, w) => {
      const worker = fork(WORKER, { cwd: REPO_ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.push(worker);
      const ids = Array.from({ length: settings.clients }, (_, id) => id).filter((id) => id % workerCount === w);
      const plan: FanOutPlan = {
        ...target,
        ids,
        clients: settings.clients,
        intervalMs: settings.intervalMs,
        warmupRounds: settings.warmupRounds,
        rounds: settings.rounds,
        drainMs: 10_000,
      };
      worker.send(plan);
      return { ready: nextMessage(worker, 'ready', 60_000), done: undefined as Promise<WorkerReport> | undefined, worker };
    });
    await Promise.all(reports.map((r) => r.ready));
    // Everyone starts together, shortly after the last process is ready.
    const startAt = performance.timeOrigin + performance.now() + 500;
    for (const r of reports) {
      r.done = nextMessage(
        r.worker,
        'done',
        (settings.warmupRounds + settings.rounds + 2) * settings.intervalMs + 30_000,
      ) as Promise<WorkerReport>;
      r.worker.send({ startAt });
    }
    const results = await Promise.all(reports.map((r) => r.done!));
    return {
      latencies: results.flatMap((r) => r.latencies),
      expected: results.reduce((sum, r) => sum + r.expected, 0),
      received: results.reduce((sum, r) => sum + r.received, 0),
      seconds: ((settings.warmupRounds + settings.rounds) * settings.intervalMs) / 1000,
    };
  } finally {
    for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
  }
}

/** One server's trials pooled into one measurement: percentiles over every latency of every trial. */
export function poolTrials(label: string, clients: number, trials: FanOutTrial[]): Measurement {
  const latencies = trials.flatMap((t) => t.latencies);
  const received = trials.reduce((sum, t) => sum + t.received, 0);
  const seconds = trials.reduce((sum, t) => sum + t.seconds, 0);
  return {
    label,
    requestsPerSecond: Math.round((received / seconds) * 10) / 10,
    latencyMs: summarize(latencies),
    requests: latencies.length,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    durationSeconds: seconds,
    connections: clients,
    lostUpdates: trials.reduce((sum, t) => sum + t.expected - t.received, 0),
  };
}

function nextMessage(worker: ChildProcess, type: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fan-out client process: no "${type}" within ${timeoutMs / 1000} s`)), timeoutMs);
    const onExit = (code: number | null) => reject(new Error(`fan-out client process exited (code ${code}) before "${type}"`));
    worker.once('exit', onExit);
    const onMessage = (message: { type?: string }) => {
      if (message.type !== type) return;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(message);
    };
    worker.on('message', onMessage);
  });
}
