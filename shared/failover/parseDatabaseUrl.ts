/** One PostgreSQL server a DATABASE_URL names. */
export interface DatabaseHost {
  host: string;
  port: number;
}

/** A DATABASE_URL taken apart: the servers it names, and how to reach each on its own. */
export interface DatabaseUrl {
  /** Every server, in the order given; more than one means "follow whichever is writable". */
  hosts: DatabaseHost[];
  /** libpq's target_session_attrs (read-write, primary, any…); undefined when not given. */
  targetSessionAttrs?: string;
  /** A single-host URL for `host` (what node-postgres understands), with everything else kept. */
  urlFor(host: DatabaseHost): string;
}

const DEFAULT_PORT = 5432;
const URL_SHAPE = /^(postgres(?:ql)?):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/;
const HOST_SHAPE = /^(\[[0-9a-fA-F:.]+\]|[\w.%-]+)(?::(\d{1,5}))?$/;

/**
 * Parses a PostgreSQL URL that may name several hosts, libpq's way
 * (`postgres://user@h1:5432,h2:5433/db?target_session_attrs=read-write`). node-postgres reads only the
 * first host of such a list, so the product resolves the list itself (PrimaryResolver). Returns
 * undefined when the text is not a PostgreSQL URL of that shape.
 */
export function parseDatabaseUrl(text: string): DatabaseUrl | undefined {
  const match = URL_SHAPE.exec(text);
  if (!match) return undefined;
  const [, scheme, userInfo, hostList, path = '', query = ''] = match;
  const hosts: DatabaseHost[] = [];
  for (const entry of hostList!.split(',')) {
    const hostMatch = HOST_SHAPE.exec(entry);
    if (!hostMatch) return undefined;
    const port = hostMatch[2] === undefined ? DEFAULT_PORT : Number(hostMatch[2]);
    if (port < 1 || port > 65535) return undefined;
    hosts.push({ host: hostMatch[1]!.replace(/^\[(.*)\]$/, '$1'), port });
  }
  const params = new URLSearchParams(query);
  const targetSessionAttrs = params.get('target_session_attrs') ?? undefined;
  // node-postgres does not know it, and a single-host URL has nothing left to choose between.
  params.delete('target_session_attrs');
  const rest = params.toString();
  const credentials = userInfo === undefined ? '' : `${userInfo}@`;
  return {
    hosts,
    targetSessionAttrs,
    urlFor: ({ host, port }) =>
      `${scheme}://${credentials}${host.includes(':') ? `[${host}]` : host}:${port}${path}${rest ? `?${rest}` : ''}`,
  };
}

/** True when the URL names more than one server: the product then follows the writable one. */
export function isMultiHostUrl(text: string | undefined): boolean {
  return text !== undefined && (parseDatabaseUrl(text)?.hosts.length ?? 0) > 1;
}
