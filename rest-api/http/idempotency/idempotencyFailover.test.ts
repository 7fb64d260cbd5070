import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type supertest from 'supertest';
import { DatabaseFailoverError } from '@shared/failover/DatabaseFailoverError.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { idempotentWorkNode } from './idempotentWorkNode.fixtures.ts';

/**
 * Idempotency keys across a database failover. A request can lose the database at two moments: before
 * its work committed (nothing happened: a repeat must run it) or after (it happened, and its answer is
 * gone: a repeat must not run it again). Which of the two is not something the API process can know —
 * only the database can — so each case is played here with the real middleware on real PostgreSQL and a
 * handler that loses the database exactly there (the failure the drills produce by killing the primary).
 */
let t: TestApp;
let request: ReturnType<typeof supertest>;
const table = `idempotency_probe_${crypto.randomBytes(4).toString('hex')}`;
/** Where the next request loses the database: inside its transaction, after its commit, or nowhere. */
let loseDatabase: 'before commit' | 'after commit' | 'no' = 'no';

beforeAll(async () => {
  t = await startTestApp();
  const { db } = t.services;
  await db.schema.createTable(table, (column) => {
    column.increments('id');
    column.text('note').notNullable();
  });
  request = idempotentWorkNode({
    ...{ db, log: t.services.log, principalId: 'idempotency-failover' },
    handler: async (req, res) => {
      const { note } = req.body as { note: string };
      await db.transaction(async (trx) => {
        await trx(table).insert({ note });
        if (loseDatabase === 'before commit') throw new DatabaseFailoverError();
      });
      if (loseDatabase === 'after commit') throw new DatabaseFailoverError();
      res.status(201).json({ data: { note } });
    },
  });
});
afterAll(async () => {
  await t.services.db.schema.dropTableIfExists(table);
  await t.close();
});

const work = (key: string, note: string) => request.post('/work').set('Idempotency-Key', key).send({ note });
const rowsWith = async (note: string) => (await t.services.db(table).where({ note })).length;

/** Repeats as a client does while told to wait (409 in progress, Retry-After), until another answer. */
async function repeatUntilSettled(key: string, note: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await work(key, note);
    const code = (res.body as { error?: { code?: string } }).error?.code;
    if (code !== 'idempotency_key_in_progress') return res;
    if (Date.now() > deadline) throw new Error(`still in progress after 30 s: ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Idempotency-Key when the database fails over mid-request', () => {
  it('runs a repeat at once when the first try lost the database before its work committed', async () => {
    const key = crypto.randomUUID();
    loseDatabase = 'before commit';
    const first = await work(key, 'rolled back');
    expect(first.status).toBe(503);
    expect((first.body as { error: { code: string } }).error.code).toBe('database_failover');
    expect(await rowsWith('rolled back')).toBe(0);

    loseDatabase = 'no';
    const repeat = await repeatUntilSettled(key, 'rolled back');
    expect(repeat.status).toBe(201);
    expect(await rowsWith('rolled back')).toBe(1);
  });

  it('does not run a repeat again when the first try committed and lost its answer: it says the work was done', async () => {
    const key = crypto.randomUUID();
    loseDatabase = 'after commit';
    expect((await work(key, 'committed, answer lost')).status).toBe(503);
    expect(await rowsWith('committed, answer lost')).toBe(1);

    loseDatabase = 'no';
    const repeat = await repeatUntilSettled(key, 'committed, answer lost');
    expect(repeat.status).toBe(409);
    expect((repeat.body as { error: { code: string } }).error.code).toBe('idempotency_key_answer_lost');
    // Asked again later, the answer is the same, and the work still happened once.
    expect((await work(key, 'committed, answer lost')).status).toBe(409);
    expect(await rowsWith('committed, answer lost')).toBe(1);
  });

  it('still replays the answer of a try that went through, and a key of a committed try is never run twice', async () => {
    const key = crypto.randomUUID();
    const first = await work(key, 'went through');
    expect(first.status).toBe(201);
    const repeat = await work(key, 'went through');
    expect(repeat.status).toBe(201);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(await t.services.db('idempotency_keys').where({ key }).first()).toMatchObject({ state: 'done' });
    expect(await rowsWith('went through')).toBe(1);
  });

  it('treats a committed key whose node died before answering (its lease run out) as done, not as free', async () => {
    const key = crypto.randomUUID();
    expect((await work(key, 'node died after commit')).status).toBe(201);
    await t.services
      .db('idempotency_keys')
      .where({ key })
      .update({
        state: 'committed',
        response_status: null,
        response_body: null,
        locked_at: t.services.db.raw("now() - interval '10 minutes'"),
      });
    const repeat = await work(key, 'node died after commit');
    expect(repeat.status).toBe(409);
    expect((repeat.body as { error: { code: string } }).error.code).toBe('idempotency_key_answer_lost');
    expect(await rowsWith('node died after commit')).toBe(1);
  });
});
