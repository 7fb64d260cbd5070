import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { isFailoverError } from './isFailoverError.ts';

/**
 * A server whose host is cut off does not refuse a connection, it never answers: the client's connect
 * timeout is what ends the attempt. Played here by a socket that accepts and stays silent, as a
 * black-holed PostgreSQL looks to node-postgres.
 */
describe('a connection to a server that never answers', () => {
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('counts as losing the database (503 database_failover), not as a fault of the request (500)', async () => {
    const { port } = silent.address() as net.AddressInfo;
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 200 });
    const error = await client.connect().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('timeout expired');
    expect(isFailoverError(error)).toBe(true);
  });

  it('still tells a request that is wrong from a database that is gone', () => {
    expect(isFailoverError(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isFailoverError(new Error('something else expired'))).toBe(false);
  });
});
