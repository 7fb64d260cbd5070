import express, { type RequestHandler } from 'express';
import type { Knex } from 'knex';
import supertest from 'supertest';
import type { Logger } from '@shared/logger.ts';
import { createErrorHandler } from '../../middleware/errorHandler.ts';
import { honourIdempotencyKey } from './honourIdempotencyKey.ts';

/**
 * For the idempotency tests: an API node reduced to the real Idempotency-Key middleware, over `db`, in
 * front of POST /work (`handler`, which gets the JSON body), with the product's error handler — as the
 * routes have it, without the rest of the app in the way. Each call is a node of its own.
 */
export function idempotentWorkNode(options: {
  db: Knex;
  log: Logger;
  principalId: string;
  leaseSeconds?: number;
  handler: RequestHandler;
}): ReturnType<typeof supertest> {
  const app = express();
  app.use(express.json());
  app.use((req, _res, next) => {
    req.principal = { type: 'user', id: options.principalId };
    (req as { input?: unknown }).input = { body: req.body as unknown };
    next();
  });
  const { db, log, leaseSeconds } = options;
  app.post('/work', honourIdempotencyKey({ db, log, isUpload: false, leaseSeconds }), options.handler);
  app.use(createErrorHandler(log));
  return supertest(app);
}
