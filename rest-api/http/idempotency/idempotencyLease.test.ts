import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Knex } from 'knex';
import { createDb } from '@shared/db.ts';
import { expectError } from '../../../test/assertions.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { CLAIM_LEASE_SECONDS } from './honourIdempotencyKey.ts';
import { idempotentWorkNode } from './idempotentWorkNode.fixtures.ts';
import { claimKey, markCommitted, recordAnswer, renewClaim, settleUnansweredKey } from './idempotencyKeys.repo.ts';

/**
 * The lease on an Idempotency-Key claim, across API nodes sharing one database. A node that dies
 * mid-request stops renewing its claim, and a repeat on another node takes the key over once the lease
 * has run out; a node that lost its claim that way but is still alive cannot commit; a node serving a
 * request longer than the lease keeps it by renewing. Each node here is the real middleware in front of
 * a handler that the test can hold at a chosen point; a node's death is its database pool destroyed.
 */
let t: TestApp;
const table = `idempotency_lease_${crypto.randomBytes(4).toString('hex')}`;

/** Where a held request waits until the test lets it go. */
type HoldPoint = 'before its work' | 'inside its transaction';
/** The next request with a note is held: where, how it says it got there, and what it waits for. */
const holds = new Map<string, { where: HoldPoint; arrive(): void; gate: Promise<void> }>();

/** Holds the next request with `note` at `where`; `reached` resolves once it waits there. */
function holdNext(note: string, where: HoldPoint): { reached: Promise<void>; release(): void } {
  let arrive!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  holds.set(note, { where, arrive, gate });
  return { reached, release };
}

/** An API node: the idempotency middleware over its own database pool, with the given lease. */
function startNode(db: Knex, leaseSeconds?: number) {
  return idempotentWorkNode({
    ...{ db, log: t.services.log, principalId: 'idempotency-lease', leaseSeconds },
    handler: async (req, res) => {
      const { note } = req.body as { note: string };
      const hold = holds.get(note);
      holds.delete(note);
      const wait = async (where: HoldPoint) => {
        if (hold?.where !== where) return;
        hold.arrive();
        await hold.gate;
      };
      await wait('before its work');
      const [row] = await db.transaction(async (trx) => {
        const inserted = await trx(table).insert({ note }).returning('id');
        await wait('inside its transaction');
        return inserted;
      });
      res.status(201).json({ data: { id: (row as { id: number }).id, note } });
    },
  });
}

beforeAll(async () => {
  t = await startTestApp();
  await t.services.db.schema.createTable(table, (column) => {
    column.increments('id');
    column.text('note').notNullable();
  });
});
afterAll(async () => {
  await t.services.db.schema.dropTableIfExists(table);
  await t.close();
});

const work = (node: ReturnType<typeof startNode>, key: string, note: string) =>
  node.post('/work').set('Idempotency-Key', key).send({ note });
const rowsWith = async (note: string) => (await t.services.db(table).where({ note })).length;
const claimOf = (key: string) => t.services.db('idempotency_keys').where({ key }).first();
/** What a claim looks like after its node stopped renewing it for longer than a lease. */
const ageClaimPastLease = (key: string) =>
  t.services
    .db('idempotency_keys')
    .where({ key })
    .update({ locked_at: t.services.db.raw('now() - make_interval(secs => ?)', [CLAIM_LEASE_SECONDS + 5]) });

describe('Idempotency-Key claims under a lease', () => {
  it('takes over the claim of a node that died mid-request once its lease ran out, and runs the request once', async () => {
    const key = crypto.randomUUID();
    const note = 'node died mid-request';
    const doomedDb = createDb(t.config);
    const doomed = startNode(doomedDb);
    const survivor = startNode(t.services.db);
    const hold = holdNext(note, 'before its work');
    const cutOff = work(doomed, key, note).then((res) => res);
    await hold.reached;

    expectError(await work(survivor, key, note), 409, 'idempotency_key_in_progress');
    // The node dies: nothing it does reaches the database again, its renewals included.
    await doomedDb.destroy();
    await ageClaimPastLease(key);

    const retry = await work(survivor, key, note);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    const repeat = await work(survivor, key, note);
    expect(repeat.status).toBe(201);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.body).toEqual(retry.body);
    expect(await rowsWith(note)).toBe(1);

    hold.release();
    expect((await cutOff).status).toBeGreaterThanOrEqual(500);
    expect(await rowsWith(note)).toBe(1);
  });

  it('rolls back a claimant that lost its claim to a repeat and answers it 409: the work is done once', async () => {
    const key = crypto.randomUUID();
    const note = 'claim lapsed mid-request';
    // The slow node renews far less often than the lease it is judged by, so that no renewal of its
    // lands between the test ageing its claim and the repeat taking it over.
    const slow = startNode(t.services.db, 3_600);
    const other = startNode(t.services.db);
    const hold = holdNext(note, 'inside its transaction');
    const lapsed = work(slow, key, note).then((res) => res);
    await hold.reached;
    const { claim_id: lapsedClaim } = await claimOf(key);

    await ageClaimPastLease(key);
    const takeover = await work(other, key, note);
    expect(takeover.status).toBe(201);
    expect((await claimOf(key)).claim_id).not.toBe(lapsedClaim);

    hold.release();
    const answer = await lapsed;
    expectError(answer, 409, 'idempotency_key_in_progress');
    expect(answer.headers['retry-after']).toBe('1');
    expect(await rowsWith(note)).toBe(1);
    // The lapsed claimant left the key as the one that took it over made it.
    const repeat = await work(slow, key, note);
    expect(repeat.status).toBe(201);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.body).toEqual(takeover.body);
  });

  it('keeps the claim of a request that runs longer than its lease by renewing it', async () => {
    const key = crypto.randomUUID();
    const note = 'longer than a lease';
    const leaseSeconds = 3;
    const node = startNode(t.services.db, leaseSeconds);
    const hold = holdNext(note, 'before its work');
    const first = work(node, key, note).then((res) => res);
    await hold.reached;

    // Repeats keep coming until the request has run two leases (by the database's clock); each is told
    // to wait, never runs it a second time.
    for (;;) {
      expectError(await work(node, key, note), 409, 'idempotency_key_in_progress');
      const { rows } = await t.services.db.raw<{ rows: Array<{ isPastTwoLeases: boolean }> }>(
        `select created_at < now() - make_interval(secs => ?) as "isPastTwoLeases" from idempotency_keys where key = ?`,
        [2 * leaseSeconds, key],
      );
      if (rows[0]!.isPastTwoLeases) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    hold.release();
    const answer = await first;
    expect(answer.status).toBe(201);
    const repeat = await work(node, key, note);
    expect(repeat.status).toBe(201);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.body).toEqual(answer.body);
    expect(await rowsWith(note)).toBe(1);
  });
});

describe('a lapsed claim, in the repository', () => {
  it('neither renews, commits, answers nor settles the claim that took the key over', async () => {
    const { db } = t.services;
    const claim = { principal: 'user:idempotency-lease', key: crypto.randomUUID(), fingerprint: 'f', leaseSeconds: CLAIM_LEASE_SECONDS };
    const lapsed = await claimKey(db, claim);
    expect(await claimKey(db, claim)).toBeUndefined();
    await ageClaimPastLease(claim.key);
    const current = await claimKey(db, claim);
    expect(current).toBeDefined();
    expect(current).not.toBe(lapsed);
    const before = await claimOf(claim.key);

    expect(await renewClaim(db, claim.principal, claim.key, lapsed!)).toBe(false);
    expect(await db.transaction((trx) => markCommitted(trx, claim.principal, claim.key, lapsed!))).toBe(false);
    await recordAnswer(db, claim.principal, claim.key, lapsed!, { status: 201, body: { lapsed: true } });
    await settleUnansweredKey(db, claim.principal, claim.key, lapsed!);
    expect(await claimOf(claim.key)).toEqual(before);
    expect(await renewClaim(db, claim.principal, claim.key, current!)).toBe(true);
  });
});
