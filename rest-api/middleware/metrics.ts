import type { RequestHandler } from 'express';
import type { Histogram } from 'prom-client';

/** Observes each request's duration under its route pattern, once the response is sent. */
export function recordRequestMetrics(histogram: Histogram<'method' | 'route' | 'status'>): RequestHandler {
  return (req, res, next) => {
    const stop = histogram.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? String(req.route.path) : 'unmatched';
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
