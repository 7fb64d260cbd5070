import { DatabaseFailoverError } from './DatabaseFailoverError.ts';

/**
 * SQLSTATEs that mean "this server cannot take our work any more", not "this work is wrong":
 * 25006 a write reached a read-only server (a demoted primary, or a promoted standby not open yet),
 * 57P01-57P03 the server is shutting down, crashed or starting, class 08 the connection broke.
 */
const FAILOVER_SQLSTATES = new Set(['25006', '57P01', '57P02', '57P03']);
/** Socket errors of a server that went away or cannot be reached. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
/** node-postgres and knex report a lost or unobtainable connection by message only. */
const LOST_CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection error and is not queryable',
  'Client was closed and is not queryable',
  'Timeout acquiring a connection',
  'timeout exceeded when trying to connect',
  // pg's own connect timeout (connectionTimeoutMillis): a host that is cut off swallows the SYN.
  'timeout expired',
];

/**
 * True when `error` comes from losing the database server rather than from the request: the answer is
 * then 503 `database_failover` (retry), never a 500, and the primary is looked for again.
 */
export function isFailoverError(error: unknown): boolean {
  if (error instanceof DatabaseFailoverError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (FAILOVER_SQLSTATES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))) return true;
  if (typeof message === 'string' && LOST_CONNECTION_MESSAGES.some((part) => message.includes(part))) return true;
  // AggregateError (several addresses refused) and wrapped causes.
  const { errors, cause } = error as { errors?: unknown; cause?: unknown };
  if (Array.isArray(errors) && errors.length > 0 && errors.every(isFailoverError)) return true;
  return cause !== undefined && cause !== error && isFailoverError(cause);
}
