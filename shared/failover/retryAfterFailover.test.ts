import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import knexFactory from 'knex';
import pg from 'pg';
import { TEST_POSTGRES_URL } from '../../test/services.ts';
import { retryAfterFailover } from './retryAfterFailover.ts';

/**
 * Background work on a database that goes away under it: the first tries reach a port where no server
 * listens any more (a primary just lost: ECONNREFUSED from node-postgres), then the real server answers.
 */
describe('retryAfterFailover', () => {
  const db = knexFactory({ client: 'pg', connection: TEST_POSTGRES_URL, pool: { min: 0, max: 1 } });
  let lostPort: number;
  beforeAll(async () => {
    // A port that was just listened on and closed: connecting there is refused, as a killed primary refuses.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    lostPort = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
  });
  afterAll(() => db.destroy());

  /** Asks the lost server for the first `lostTries` tries, then the real one; counts the tries. */
  function workLosingItsServer(lostTries: number) {
    const work = async () => {
      work.tries += 1;
      const client = new pg.Client(
        work.tries <= lostTries ? { host: '127.0.0.1', port: lostPort, user: 'postgres' } : { connectionString: TEST_POSTGRES_URL },
      );
      await client.connect();
      try {
        return Number((await client.query<{ answer: number }>('select 42 as answer')).rows[0]!.answer);
      } finally {
        await client.end();
      }
    };
    work.tries = 0;
    return work;
  }

  it('runs the work again once the server it lost answers, and gives its result', async () => {
    const work = workLosingItsServer(2);
    await expect(retryAfterFailover(db, work, 5)).resolves.toBe(42);
    expect(work.tries).toBe(3);
  });

  it('stops after its last retry and throws what the lost server gave', async () => {
    const work = workLosingItsServer(Number.POSITIVE_INFINITY);
    await expect(retryAfterFailover(db, work, 5)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(work.tries).toBe(5);
  });

  it('does not run again work that failed for its own reason', async () => {
    let tries = 0;
    const failing = async () => {
      tries += 1;
      await db.raw('select * from a_table_that_is_not_there');
    };
    await expect(retryAfterFailover(db, failing, 5)).rejects.toMatchObject({ code: '42P01' });
    expect(tries).toBe(1);
  });
});
