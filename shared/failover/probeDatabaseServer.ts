import pg from 'pg';

/** What one probe found a server to be. */
export type ServerRole = 'writable' | 'read_only' | 'standby' | 'unreachable';

/**
 * Asks one PostgreSQL server what it is, on a fresh connection that may take at most `timeoutMs` to open
 * and to answer: a frozen host must not hold the caller. A server is writable when it is out of recovery
 * *and* a new session is not read-only: pg_auto_failover promotes a standby with
 * default_transaction_read_only on until the old primary is known demoted.
 */
export async function probeDatabaseServer(connectionString: string, timeoutMs: number): Promise<ServerRole> {
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'twinmcp-primary-probe',
  });
  // A server dying under the probe emits 'error' on the client; the failed query already says so.
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ in_recovery: boolean; read_only: string }>(
      "select pg_is_in_recovery() as in_recovery, current_setting('transaction_read_only') as read_only",
    );
    const [row] = rows;
    if (row?.in_recovery) return 'standby';
    return row?.read_only === 'on' ? 'read_only' : 'writable';
  } catch {
    return 'unreachable';
  } finally {
    void client.end().catch(() => {});
  }
}
