import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { NotFoundError, ValidationError } from '@shared/errors.ts';

/** Where an issue sits, as a client reads it: `title`, `query.limit` (the body is implied). */
function fieldOf(issue: z.core.$ZodIssue): string {
  const [location, ...rest] = issue.path.map(String);
  const field = location === 'body' ? rest : [location, ...rest];
  if (issue.code === 'unrecognized_keys') field.push(...issue.keys);
  return field.filter(Boolean).join('.') || 'body';
}

/**
 * Parses `{ body, params, query }` with the route's schema and stores the result on `req.input`.
 * A path parameter that fails its schema names a resource that cannot exist, so it is a 404, not a 400.
 */
export function validate(schema: z.ZodType): RequestHandler {
  return (req, _res, next) => {
    // Express types the parsed body as any; until the schema has read it, it is unknown.
    const result = schema.safeParse({ body: req.body as unknown, params: req.params, query: req.query });
    if (result.success) {
      req.input = result.data;
      return next();
    }
    const issues = result.error.issues;
    if (issues.some((issue) => issue.path[0] === 'params')) return next(new NotFoundError());
    const fields = issues.map((issue) => ({ field: fieldOf(issue), message: issue.message }));
    const first = fields[0]!;
    next(new ValidationError(`${first.field}: ${first.message}`, { fields }));
  };
}
