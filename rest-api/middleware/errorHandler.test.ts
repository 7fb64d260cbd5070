import { describe, expect, it } from '@jest/globals';
import express from 'express';
import pg from 'pg';
import request from 'supertest';
import { createLogger } from '@shared/logger.ts';
import { TEST_POSTGRES_URL } from '../../test/services.ts';
import { createErrorHandler } from './errorHandler.ts';

/** An app whose one route fails the way `fail` does. */
function appFailingWith(fail: () => Promise<unknown>) {
  const log = createLogger({ LOG_LEVEL: 'silent', LOG_PRETTY: false });
  return express()
    .get('/thing', async (_req, _res, next) => {
      await fail().then(
        () => next(new Error('expected the database call to fail')),
        (error: unknown) => next(error),
      );
    })
    .use(createErrorHandler(log));
}

describe('losing the database answers 503 database_failover, never a 500', () => {
  it('a write that reaches a read-only server (SQLSTATE 25006)', async () => {
    const app = appFailingWith(async () => {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query('begin read only');
        await client.query('create temporary table refused (id int)');
      } finally {
        await client.end();
      }
    });
    const res = await request(app).get('/thing');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.body).toEqual({ error: { code: 'database_failover', message: expect.any(String) } });
  });

  it('a server that refuses connections', async () => {
    const app = appFailingWith(async () => {
      // Port 1 on loopback: nothing listens there.
      const client = new pg.Client({ host: '127.0.0.1', port: 1, user: 'postgres', connectionTimeoutMillis: 2_000 });
      await client.connect();
    });
    const res = await request(app).get('/thing');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('database_failover');
  });

  it('while an ordinary SQL mistake stays a 500', async () => {
    const app = appFailingWith(async () => {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query('select * from no_such_table');
      } finally {
        await client.end();
      }
    });
    const res = await request(app).get('/thing');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal_error');
  });
});
