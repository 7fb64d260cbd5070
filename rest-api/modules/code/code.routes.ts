import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { NotFoundError } from '@shared/errors.ts';
import { consumeOrThrow, createRateLimiter } from '@shared/rateLimit.ts';
import { limitsFromConfig } from '@shared/sandbox/limits.ts';
import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { presentPage } from '../../http/pagination.ts';
import { dataOf, pageOf } from '../../http/schemas.ts';
import { findExecutionForUser, listExecutionsForUser } from './code.repo.ts';
import {
  ExecuteCodeSchema,
  ExecutionDetailSchema,
  ExecutionIdSchema,
  ExecutionSchema,
  LanguageSchema,
  ListExecutionsSchema,
} from './code.schemas.ts';
import { executeCode } from './executeCode.ts';
import { isRetained, presentExecution, presentExecutionDetail } from './execution.presenter.ts';
import { RunQueue } from './RunQueue.ts';
import { createCodeMetrics } from './codeMetrics.ts';
import { startRetentionSweep } from './startRetentionSweep.ts';

const tag = 'code';

/** Running code in the sandbox: JavaScript, TypeScript, Python, Ruby, Go and Bash, never in this process. */
export function codeRoutes(api: ApiRouter, services: Services, registry: Registry): void {
  const { db, bus, config, sandbox } = services;
  const queue = new RunQueue(config.CODE_EXEC_CONCURRENCY, config.CODE_EXEC_QUEUE);
  const metrics = createCodeMetrics(registry, queue);
  const perUser = createRateLimiter(
    { name: 'code-exec-user', points: config.RATE_LIMIT_CODE_EXEC_PER_USER, durationSeconds: 60 },
    { redis: services.redis, prefix: config.REDIS_PREFIX },
  );
  const limitRuns: RequestHandler = async (req, _res, next) => {
    await consumeOrThrow(perUser, req.actor!.id);
    next();
  };
  startRetentionSweep(services);

  api.route(
    {
      method: 'post',
      path: '/api/code/execute',
      tag,
      summary:
        'Run code in the sandbox and answer its output; with `conversationId`, also post the run there as a `tool` message. ' +
        'JavaScript/TypeScript read stdin from the global `stdin` string or `readLine()`',
      request: ExecuteCodeSchema,
      errors: [403, 404, 413, 429, 503],
      before: [limitRuns],
      responses: {
        201: { description: 'Ran (a limit that stopped the program is a result, not an error)', schema: dataOf(ExecutionSchema) },
      },
    },
    async (req, res) => {
      const execution = await executeCode({ db, bus, config, sandbox, queue, metrics }, { actor: req.actor, ...req.input.body });
      // The caller sees what their run printed, whatever is kept of it.
      res.status(201).json({ data: presentExecution(execution, true) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/code/languages',
      tag,
      summary: 'The languages this deployment runs, each with its version, backend and limits',
      responses: { 200: { description: 'The languages', schema: dataOf(z.array(LanguageSchema)) } },
    },
    async (_req, res) => {
      const { wallTimeMs, ...perRun } = limitsFromConfig(config);
      const limits = {
        timeoutMs: wallTimeMs,
        maxTimeoutMs: config.CODE_EXEC_MAX_TIMEOUT_MS,
        ...perRun,
        stdinBytes: config.CODE_EXEC_STDIN_BYTES,
        codeBytes: config.CODE_EXEC_CODE_BYTES,
      };
      res.json({ data: (await sandbox.runtimes()).map((runtime) => ({ ...runtime, limits })) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/code/executions',
      tag,
      summary: 'Your own runs, newest first; code and output only within CODE_EXEC_RETENTION_DAYS',
      request: ListExecutionsSchema,
      responses: { 200: { description: 'A page', schema: pageOf(ExecutionSchema) } },
    },
    async (req, res) => {
      const { limit, cursor } = req.input.query;
      const rows = await listExecutionsForUser(db, req.actor.id, { limit, after: cursor?.[0] });
      res.json(
        presentPage(
          rows,
          limit,
          (row) => [row.seq],
          (row) => presentExecution(row, isRetained(row, config)),
        ),
      );
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/code/executions/:id',
      tag,
      summary: 'One of your runs, with its code while retained',
      request: ExecutionIdSchema,
      errors: [404],
      responses: { 200: { description: 'The run', schema: dataOf(ExecutionDetailSchema) } },
    },
    async (req, res) => {
      const row = await findExecutionForUser(db, req.actor.id, req.input.params.id);
      if (!row) throw new NotFoundError('Execution not found');
      res.json({ data: presentExecutionDetail(row, isRetained(row, config)) });
    },
  );
}
