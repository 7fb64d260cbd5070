import express, { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { UserOrService } from '@shared/access/index.ts';
import type { Actor } from '@shared/auth.ts';
import type { Db } from '@shared/db.ts';
import { ForbiddenError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { validate } from '../middleware/validate.ts';
import { checkResponses } from './checkResponses.ts';
import { honourIdempotencyKey, IDEMPOTENCY_HEADER } from './idempotency/honourIdempotencyKey.ts';
import { ErrorResponseSchema } from './schemas.ts';
import { createUploadMiddleware } from './upload/createUploadMiddleware.ts';
import type { UploadSpec } from './upload/UploadSpec.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A route's request schema: an object over the parts it reads. */
export type RequestSchema = z.ZodObject<{
  body?: z.ZodType;
  params?: z.ZodObject;
  query?: z.ZodObject;
}>;

/** Everything a route is: how Express serves it and how the OpenAPI document describes it. */
export interface RouteSpec<S extends RequestSchema> {
  method: Method;
  /** Express path, e.g. `/api/conversations/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** Whether a bearer token is required. Default true. `operator`: a token of a deployment operator (403 otherwise). */
  auth?: boolean | 'operator';
  /**
   * Whether a service account's API key (`Bearer twk_…`) may call it too; the handler then reads who
   * called in `req.principal`. Default false: a route is for people, and a valid key gets 403 `forbidden`.
   */
  apiKeys?: boolean;
  request?: S;
  /** Success responses by status; errors are added from `errors`. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** Error statuses this route can answer, beyond 400 (validation) and 401 (when authenticated). */
  errors?: number[];
  /** Extra middleware run after validation (rate limits and the like). */
  before?: RequestHandler[];
  /** A multipart/form-data file upload, streamed to storage after `before` and before the handler (`req.upload`). */
  upload?: UploadSpec;
}

/**
 * The request a handler sees: validated input, and the actor when the route is authenticated — on a
 * route that takes API keys, `principal` (a person or a service account) instead.
 */
export type ApiRequest<S extends RequestSchema, A extends boolean | 'operator' = true, K extends boolean = false> = Request & {
  input: z.infer<S>;
} & (A extends false ? { actor?: Actor } : K extends true ? { principal: UserOrService } : { actor: Actor });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed JSON or a field fails validation',
  401: 'Missing, expired or invalid credentials',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflicts with existing state',
  413: 'Body over the size limit',
  415: 'Body is not JSON',
  429: 'Too many attempts; see Retry-After',
};

/** What an authenticated POST route answers besides its own errors, because it honours Idempotency-Key. */
const IDEMPOTENT_ERROR_DESCRIPTIONS: Record<number, string> = {
  409: 'Conflicts with existing state; or `idempotency_key_in_progress`: a request with this Idempotency-Key still runs (see Retry-After)',
  422: '`idempotency_key_reused`: this Idempotency-Key was used for a different request',
};

const IdempotencyHeadersSchema = z.object({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .meta({
      description:
        'Makes a retry safe: the first successful answer for this key is given again, with `Idempotent-Replayed: true`, ' +
        'to every repeat of the same request by the same caller for 24 hours, and the request does not run twice. A failed ' +
        'request keeps nothing. Use a new key (a UUID) per action.',
    }),
});

/** Where an upload route's errors mean something else than a JSON route's. */
const UPLOAD_ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'No file, a malformed multipart body, or parts beside the file',
  413: 'The file is over the size limit; nothing is kept',
  415: 'The file’s bytes are of a type this route does not accept',
};
/** Without a way to tell operators, an operator route refuses everyone. */
const refuseEveryone = (): RequestHandler => (_req, _res, next) => next(new ForbiddenError());

const OPERATOR_ONLY =
  'Operators only: needs the deployment-wide `operator` role (403 `forbidden` otherwise), and every call is written to the audit log.';
const TAKES_API_KEYS = 'Also takes a service account’s API key (`Bearer twk_…`), inside the account’s scope.';
/** What 403 means on an authenticated route for people, beyond what the route itself refuses. */
const PEOPLE_ONLY_403 = 'Not allowed; also a service account’s API key, which this route does not take';

/** How a route authenticates: an access token only, or an API key as well. */
export type Authenticate = (options: { apiKeys: boolean }) => RequestHandler;

/**
 * An Express router that documents every route it serves. There is no other way to add an API route,
 * so the OpenAPI document cannot fall behind the code.
 */
export class ApiRouter {
  readonly router = express.Router();
  readonly registry = new OpenAPIRegistry();
  /** Method and path pattern of every route that takes a multipart upload. */
  private readonly uploadRoutes: Array<{ method: string; path: RegExp }> = [];

  constructor(
    private readonly authenticate: Authenticate,
    private readonly options: {
      /** Check every answer against its documented schema (tests: http/checkResponses.ts). */
      checkResponses?: boolean;
      /** Runs after authenticate on `auth: 'operator'` routes; without one, such routes refuse everyone. */
      requireOperator?: () => RequestHandler;
      /** Where authenticated POST routes keep Idempotency-Key answers; without it the header is ignored. */
      idempotency?: { db: Db; log: Logger };
    } = {},
  ) {
    this.registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    this.registry.registerComponent('securitySchemes', 'apiKey', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'twk_…',
      description: 'A service account’s API key, on the routes that say they take one',
    });
  }

  route<S extends RequestSchema, A extends boolean | 'operator' = true, K extends boolean = false>(
    spec: RouteSpec<S> & { auth?: A; apiKeys?: K },
    handler: (req: ApiRequest<S, A, K>, res: Response) => unknown,
  ): void {
    const needsAuth = spec.auth ?? true;
    // An operator route is for a person with the role: an API key never reaches requireOperator.
    const apiKeys = needsAuth === true && spec.apiKeys === true;
    const chain: RequestHandler[] = [];
    if (this.options.checkResponses) chain.push(checkResponses(spec));
    if (needsAuth) chain.push(this.authenticate({ apiKeys }));
    if (needsAuth === 'operator') chain.push((this.options.requireOperator ?? refuseEveryone)());
    if (spec.request) chain.push(validate(spec.request));
    chain.push(...(spec.before ?? []));
    // After the rate limits and before any upload is read: a repeat costs one lookup, not a second upload.
    const isIdempotent = this.honoursIdempotencyKey(spec, needsAuth);
    if (isIdempotent) chain.push(honourIdempotencyKey({ ...this.options.idempotency!, isUpload: Boolean(spec.upload) }));
    if (spec.upload) {
      chain.push(createUploadMiddleware(spec.upload));
      this.uploadRoutes.push({ method: spec.method.toUpperCase(), path: pathPattern(spec.path) });
    }
    chain.push(handler as unknown as RequestHandler);
    this.router[spec.method](spec.path, ...chain);
    this.registry.registerPath(this.describe(spec, needsAuth, apiKeys, isIdempotent));
  }

  /** Every POST a caller makes with credentials: the requests that change something and that a client retries. */
  private honoursIdempotencyKey(spec: RouteSpec<RequestSchema>, needsAuth: boolean | 'operator'): boolean {
    return spec.method === 'post' && Boolean(needsAuth) && this.options.idempotency !== undefined;
  }

  /** Whether the request is for a route that takes a multipart upload: the only bodies besides JSON let in. */
  acceptsMultipart(req: Request): boolean {
    return this.uploadRoutes.some((route) => route.method === req.method && route.path.test(req.path));
  }

  private describe(spec: RouteSpec<RequestSchema>, needsAuth: boolean | 'operator', apiKeys: boolean, isIdempotent: boolean): RouteConfig {
    const shape = spec.request?.shape ?? {};
    // Every authenticated route refuses a key it does not take with 403, so each documents a 403.
    const refusesKeys = Boolean(needsAuth) && !apiKeys;
    const errorStatuses = new Set([
      ...(spec.request ? [400] : []),
      ...(needsAuth ? [401] : []),
      ...(refusesKeys ? [403] : []),
      ...(spec.errors ?? []),
    ]);
    if (shape.body || spec.upload) errorStatuses.add(413).add(415);
    if (spec.upload) errorStatuses.add(400);
    if (isIdempotent) errorStatuses.add(400).add(409).add(422);
    const descriptions: Record<number, string> = {
      ...ERROR_DESCRIPTIONS,
      ...(spec.upload ? UPLOAD_ERROR_DESCRIPTIONS : {}),
      ...(isIdempotent ? IDEMPOTENT_ERROR_DESCRIPTIONS : {}),
    };
    if (refusesKeys && needsAuth !== 'operator') descriptions[403] = PEOPLE_ONLY_403;
    const responses: RouteConfig['responses'] = {};
    for (const [status, response] of Object.entries(spec.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { [response.contentType ?? 'application/json']: { schema: response.schema } } } : {}),
      };
    }
    for (const status of [...errorStatuses].sort()) {
      responses[status] = {
        description: descriptions[status] ?? 'Error',
        content: { 'application/json': { schema: ErrorResponseSchema } },
      };
    }
    return {
      method: spec.method,
      path: spec.path.replace(/:(\w+)/g, '{$1}'),
      summary: spec.summary,
      tags: [spec.tag],
      ...(needsAuth ? { security: apiKeys ? [{ bearer: [] }, { apiKey: [] }] : [{ bearer: [] }] } : {}),
      ...(needsAuth === 'operator' ? { description: OPERATOR_ONLY, 'x-required-role': 'operator' } : {}),
      ...(apiKeys ? { description: TAKES_API_KEYS, 'x-api-keys': true } : {}),
      request: {
        ...(shape.body ? { body: { required: true, content: { 'application/json': { schema: shape.body } } } } : {}),
        ...(spec.upload ? { body: describeUpload(spec.upload) } : {}),
        ...(shape.params ? { params: shape.params } : {}),
        ...(shape.query ? { query: shape.query } : {}),
        ...(isIdempotent ? { headers: IdempotencyHeadersSchema } : {}),
      },
      responses,
    };
  }
}

/** An Express path (`/api/x/:id/y`) as a pattern for `req.path`: case-insensitive, trailing slash optional, as Express matches. */
function pathPattern(path: string): RegExp {
  const pattern = path.split(/(:\w+)/).map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${pattern.join('')}/?$`, 'i');
}

/** The OpenAPI request body of an upload route: one binary field, with the types and size it takes. */
function describeUpload(upload: UploadSpec) {
  const types = upload.accept === 'any' ? 'any type' : upload.accept.join(', ');
  const description = `At most ${upload.maxBytes} bytes of ${types}, as sniffed from the bytes (the part's Content-Type is ignored).`;
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: z.object({ [upload.field]: z.string().meta({ format: 'binary', description }) }),
      },
    },
  };
}
