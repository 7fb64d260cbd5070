import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { pino } from 'pino';
import { createEmptyDatabase } from '../../test/services.ts';
import { parseDatabaseUrl } from './parseDatabaseUrl.ts';
import { PrimaryResolver } from './PrimaryResolver.ts';

/** Long enough that a search held up by the lost server once more could not pass the bound below. */
const CONNECT_TIMEOUT_MS = 8_000;

/**
 * A region that is lost does not refuse connections, it swallows them: every probe of its server runs
 * to the connect timeout. Played by a socket that accepts and stays silent. The standby that is being
 * promoted is a real database whose new sessions are read-only until the test lifts it, as
 * pg_auto_failover keeps a promoted standby until the old primary is known demoted.
 */
describe('looking for the primary while one server has gone silent', () => {
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let admin: pg.Client;
  let databaseName: string;
  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket);
      // Read (and drop) what arrives, so the client closing its end is seen.
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    database = await createEmptyDatabase();
    databaseName = new URL(database.url).pathname.slice(1);
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(`alter database ${databaseName} set default_transaction_read_only = on`);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await admin?.end();
    await database?.drop();
  });

  it('finds the promoted server within moments of it taking writes, not a connect timeout later', async () => {
    const { port } = silent.address() as net.AddressInfo;
    const standby = new URL(database.url);
    const url = parseDatabaseUrl(`postgres://postgres@127.0.0.1:${port},${standby.host}/${databaseName}?target_session_attrs=read-write`)!;
    const log = pino({ level: 'silent' });
    const resolver = new PrimaryResolver({ url, connectTimeoutMs: CONNECT_TIMEOUT_MS, resolveTimeoutMs: 60_000, log });
    // The first round waits for every server: its end is the lost server's first probe giving up.
    const firstProbeGivenUp = new Promise((resolve) => silent.once('connection', (socket) => socket.once('close', resolve)));
    const found = resolver.primary();
    await firstProbeGivenUp;

    await admin.query(`alter database ${databaseName} reset default_transaction_read_only`);
    const writableAt = Date.now();
    const primary = await found;

    expect(primary).toEqual({ host: standby.hostname, port: Number(standby.port || 5432) });
    // Found in the next round or two (each a few ms and a pause of at most 500 ms), while every probe of
    // the silent server still hangs: a round that waited for it would take the whole connect timeout.
    expect(Date.now() - writableAt).toBeLessThan(CONNECT_TIMEOUT_MS / 2);
  }, 60_000);
});
