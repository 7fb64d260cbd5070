import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineQueue } from '@shared/jobs/defineQueue.ts';
import { startTestServices } from '../test/jobs.ts';
import type { TestBackend } from '../test/http.ts';

/**
 * `npx tsx bench/jobs.ts [jobs]`: latency from `enqueue` to the handler starting, on PostgreSQL and on
 * PGlite (files in a temp dir), through shared/jobs as the product runs it (LISTEN/NOTIFY, the
 * queue's default concurrency of 2). Two shapes:
 * - `sequential`: one job at a time, the next enqueued once the previous has started (no backlog);
 * - `burst`: all enqueued back to back, each timed from its own enqueue (a backlog drains).
 * Writes bench/results/jobs-<timestamp>.json.
 */
const JOBS = Number(process.argv[2] ?? 200);
const WARMUP = 20;

type Summary = { jobs: number; p50: number; p95: number; max: number; mean: number };

function summarize(latencies: number[]): Summary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    jobs: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    max: round(sorted.at(-1)!),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

async function measure(backend: TestBackend): Promise<Record<'sequential' | 'burst', Summary>> {
  const started = new Map<number, () => void>();
  const startedAt = new Map<number, number>();
  const queue = defineQueue({
    name: 'bench.latency',
    payload: z.object({ seq: z.number().int() }),
    expireInSeconds: 60,
    handler: async ({ seq }) => {
      startedAt.set(seq, performance.now());
      started.get(seq)?.();
    },
  });
  const t = await startTestServices(backend);
  try {
    t.services.jobs.define(queue);
    await t.services.jobs.start();
    let seq = 0;
    const runOne = async () => {
      const mine = seq++;
      const running = new Promise<void>((resolve) => started.set(mine, resolve));
      const enqueuedAt = performance.now();
      await t.services.jobs.enqueue(queue, { seq: mine });
      await running;
      return startedAt.get(mine)! - enqueuedAt;
    };
    for (let i = 0; i < WARMUP; i++) await runOne();
    const sequential: number[] = [];
    for (let i = 0; i < JOBS; i++) sequential.push(await runOne());

    const enqueuedAt = new Map<number, number>();
    const waits: Array<Promise<void>> = [];
    for (let i = 0; i < JOBS; i++) {
      const mine = seq++;
      waits.push(new Promise<void>((resolve) => started.set(mine, resolve)));
      enqueuedAt.set(mine, performance.now());
      await t.services.jobs.enqueue(queue, { seq: mine });
    }
    await Promise.all(waits);
    const burst = [...enqueuedAt].map(([mine, at]) => startedAt.get(mine)! - at);
    return { sequential: summarize(sequential), burst: summarize(burst) };
  } finally {
    await t.close();
  }
}

const results: Record<string, unknown> = {};
for (const backend of ['postgres', 'pglite'] as const) {
  results[backend] = await measure(backend);
  process.stdout.write(`${backend}: ${JSON.stringify(results[backend])}\n`);
}
const stamp = new Date()
  .toISOString()
  .replace(/\.\d+Z$/, 'Z')
  .replaceAll(':', '-');
const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', `jobs-${stamp}.json`);
const report = {
  measuredAt: new Date().toISOString(),
  what: 'ms from calling Jobs.enqueue() (no transaction) to the handler starting, same process, concurrency 2, LISTEN/NOTIFY on',
  node: process.version,
  machine: { platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadAverage: os.loadavg() },
  warmupJobs: WARMUP,
  results,
};
fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`written to ${path.relative(process.cwd(), file)}\n`);
