import type { RequestHandler } from 'express';
import { writeAudit } from '@shared/audit.ts';
import { ForbiddenError } from '@shared/errors.ts';
import { isOperator } from '@shared/operators.ts';
import type { Services } from '@shared/services.ts';

/**
 * The gate of `auth: 'operator'` routes, after authenticate(). The role is read from the database on
 * every request (shared/operators.ts), so a revocation holds at once on every process. A signed-in
 * non-operator gets 403 `forbidden` and nothing runs. For an operator, an `operator.request` audit
 * row is written before the handler runs: the trail holds every operator call, even one that fails
 * or whose process dies midway. Commands that change something write their own, detailed row too.
 */
export function createRequireOperator(services: Pick<Services, 'db' | 'log'>): () => RequestHandler {
  const { db } = services;
  const log = services.log.child({ module: 'operators' });
  return () => async (req, _res, next) => {
    try {
      const actorId = req.actor!.id;
      // The route's pattern, never the URL: ids and query strings stay out of the trail's subject.
      const route = `${req.method} ${(req.route as { path: string }).path}`;
      if (!(await isOperator(db, actorId))) {
        log.warn({ actorId, route }, 'operator route refused to a non-operator');
        throw new ForbiddenError('Operators only');
      }
      await writeAudit(db, { actorId, action: 'operator.request', subjectType: 'route', subjectId: route, ip: req.ip });
      next();
    } catch (error) {
      next(error);
    }
  };
}
