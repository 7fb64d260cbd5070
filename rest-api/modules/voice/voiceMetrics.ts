import { Counter, Histogram, type Registry } from 'prom-client';
import type { Services } from '@shared/services.ts';

export type VoiceOperation = 'transcribe' | 'synthesize' | 'stream';
export type VoiceOutcome = 'ok' | 'cached' | 'queued' | 'error';

export interface VoiceMetrics {
  record(operation: VoiceOperation, engine: string, outcome: VoiceOutcome, seconds?: number): void;
}

/** Voice requests by operation, the engine that answered and how they ended, and how long engines took. */
export function createVoiceMetrics(registry: Registry): VoiceMetrics {
  const requests = new Counter({
    name: 'voice_requests_total',
    help: 'Voice requests by operation (transcribe, synthesize, stream), engine and outcome (ok, cached, queued, error)',
    labelNames: ['operation', 'engine', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'voice_engine_duration_seconds',
    help: 'Time voice engines took per request, decoding included',
    labelNames: ['operation', 'engine'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  return {
    record(operation, engine, outcome, seconds) {
      requests.inc({ operation, engine, outcome });
      if (seconds !== undefined) duration.observe({ operation, engine }, seconds);
    },
  };
}

const metricsByServices = new WeakMap<Services, VoiceMetrics>();
const NO_METRICS: VoiceMetrics = { record: () => undefined };

/** The voice metrics the app registered for these services (voiceRoutes), for the stream that is attached beside it. */
export const voiceMetricsOf = (services: Services): VoiceMetrics => metricsByServices.get(services) ?? NO_METRICS;

/** Creates the voice metrics in the app's registry and remembers them for these services. */
export function registerVoiceMetrics(services: Services, registry: Registry): VoiceMetrics {
  const metrics = createVoiceMetrics(registry);
  metricsByServices.set(services, metrics);
  return metrics;
}
