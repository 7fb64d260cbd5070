import net from 'node:net';

/** A TCP gate in front of PostgreSQL: shut, it cuts every connection as it opens; open, it carries them to the server. */
export interface DatabaseGate {
  port: number;
  /** Connections the gate was asked for so far, carried or cut. */
  readonly attempts: number;
  open(): void;
  close(): Promise<void>;
}

/**
 * What a server sees while its database fails over: every connection through a shut gate is cut as it
 * opens, as a lost primary's are; once open, it carries connections to the real server at `target`.
 */
export async function startDatabaseGate(target: { host: string; port: number }, options: { isOpen: boolean }): Promise<DatabaseGate> {
  let isOpen = options.isOpen;
  let attempts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    attempts += 1;
    if (!isOpen) return client.destroy();
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get attempts() {
      return attempts;
    },
    open: () => (isOpen = true),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** `url` (a postgres:// URL) pointed at the gate instead of its server. */
export function throughGate(url: string, gate: DatabaseGate): string {
  const gated = new URL(url);
  gated.host = `127.0.0.1:${gate.port}`;
  return gated.toString();
}
