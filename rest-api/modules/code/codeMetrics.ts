import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RunResult } from '@shared/sandbox/types.ts';
import type { RunQueue } from './RunQueue.ts';

export interface CodeMetrics {
  record(language: string, backend: string, result: RunResult): void;
}

/**
 * Runs by language, backend and the limit that stopped them, how long they took, and the node's queue
 * (running and waiting) — what an operator watches to size CODE_EXEC_CONCURRENCY and spot abuse.
 */
export function createCodeMetrics(registry: Registry, queue: RunQueue): CodeMetrics {
  const runs = new Counter({
    name: 'code_executions_total',
    help: 'Code runs by language, backend and the limit that stopped them (none when the program ended on its own)',
    labelNames: ['language', 'backend', 'limit'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'code_execution_duration_seconds',
    help: 'Wall time of code runs, compile steps included',
    labelNames: ['language', 'backend'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'code_execution_queue',
    help: 'Code runs on this node: running, and waiting for a slot',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const { running, waiting } = queue.depth;
      this.set({ state: 'running' }, running);
      this.set({ state: 'waiting' }, waiting);
    },
  });
  return {
    record(language, backend, result) {
      runs.inc({ language, backend, limit: result.limit ?? 'none' });
      duration.observe({ language, backend }, result.durationMs / 1_000);
    },
  };
}
