import type { RequestHandler } from 'express';
import type { RouteSpec, RequestSchema } from './apiRouter.ts';

/**
 * Holds a route to its OpenAPI entry while tests run: every successful JSON answer is parsed with the
 * schema documented for its status, and one that does not fit — a bare object where `{ data }` is
 * promised, a missing field, an undocumented status — becomes a 500 `response_mismatch` naming the
 * route and the first difference, so the test that made the request fails. Off in production: a
 * second parse of every response is not worth its cost there.
 */
export function checkResponses(spec: RouteSpec<RequestSchema>): RequestHandler {
  return (_req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const status = res.statusCode;
      if (status >= 300) return json(body);
      const documented = spec.responses[status];
      const problem = !documented
        ? `status ${status} is not documented`
        : documented.schema && (documented.contentType ?? 'application/json') === 'application/json'
          ? firstIssue(documented.schema.safeParse(body))
          : undefined;
      if (!problem) return json(body);
      res.status(500);
      return json({ error: { code: 'response_mismatch', message: `${spec.method.toUpperCase()} ${spec.path}: ${problem}` } });
    };
    next();
  };
}

function firstIssue(result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }): string | undefined {
  if (result.success) return undefined;
  const issue = result.error!.issues[0]!;
  return `the body does not match its documented schema at ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
}
