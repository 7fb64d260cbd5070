import type { IRoute, RequestHandler } from 'express';
import type { Histogram } from 'prom-client';

/** Observes each request's duration under its route pattern, once the response is sent. */
export function recordRequestMetrics(histogram: Histogram<'method' | 'route' | 'status'>): RequestHandler {
  return (req, res, next) => {
    const stop = histogram.startTimer();
    res.on('finish', () => {
      // Express types `req.route` as any: it is the Route that matched, if one did.
      const matched = req.route as IRoute | undefined;
      const route = matched?.path ? String(matched.path) : 'unmatched';
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
