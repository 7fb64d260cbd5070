import { Counter, Histogram, type Registry } from 'prom-client';

export interface ImageMetrics {
  /** An analysis that ran: each feature's engine, and how long it took. */
  analysed(engines: Record<string, string>, seconds: number, mode: 'request' | 'job'): void;
  /** An upload answered from the cache: no engine ran. */
  cached(): void;
  /** An upload refused or an analysis that failed, by the error's code. */
  failed(code: string): void;
}

/** Analyses by engine and outcome, and how long they take — what an operator watches to size OCR_WORKERS or spot a failing cloud. */
export function createImageMetrics(registry: Registry): ImageMetrics {
  const analyses = new Counter({
    name: 'image_analyses_total',
    help: 'Image analyses by engine (one count per feature’s engine; `cache` when an earlier result answered) and outcome',
    labelNames: ['engine', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'image_analysis_duration_seconds',
    help: 'Wall time of image analyses that ran engines, in the request or on the job queue',
    labelNames: ['mode'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return {
    analysed(engines, seconds, mode) {
      for (const engine of new Set(Object.values(engines))) analyses.inc({ engine, outcome: 'done' });
      duration.observe({ mode }, seconds);
    },
    cached: () => analyses.inc({ engine: 'cache', outcome: 'cached' }),
    failed: (code) => analyses.inc({ engine: 'none', outcome: code }),
  };
}
