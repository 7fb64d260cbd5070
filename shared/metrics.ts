import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per server, so two servers in one process never mix their series. */
export function createMetricsRegistry(server: 'rest-api' | 'collab-server'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ server });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Request duration by method, matched route pattern (never the raw URL, to bound cardinality) and status. */
export function createHttpDurationHistogram(registry: Registry): Histogram<'method' | 'route' | 'status'> {
  return new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
}
