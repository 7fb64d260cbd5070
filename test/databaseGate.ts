import net from 'node:net';

/** A TCP gate in front of PostgreSQL: open, it carries connections to the server; shut, it cuts them. */
export interface DatabaseGate {
  port: number;
  /** `url` (a postgres:// URL on the gate's server) to the same database through the gate. */
  through(url: string): string;
  /** Connections the gate was asked for so far, carried or cut. */
  readonly attempts: number;
  open(): void;
  /** Cuts every connection it carries and every new one as soon as it opens, until opened again. */
  shut(): void;
  close(): Promise<void>;
}

/**
 * What a server sees while its database fails over, on demand: every connection through a shut gate is
 * cut as it opens (and those it carried are cut when it shuts), as a lost primary's are; once open, it
 * carries connections to the PostgreSQL server `serverUrl` names.
 */
export async function startDatabaseGate(serverUrl: string, options: { isOpen: boolean }): Promise<DatabaseGate> {
  const target = new URL(serverUrl);
  let isOpen = options.isOpen;
  let attempts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    attempts += 1;
    if (!isOpen) return client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    through(url) {
      const gated = new URL(url);
      gated.host = `127.0.0.1:${port}`;
      return gated.toString();
    },
    get attempts() {
      return attempts;
    },
    open: () => (isOpen = true),
    shut() {
      isOpen = false;
      cutAll();
    },
    async close() {
      cutAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
