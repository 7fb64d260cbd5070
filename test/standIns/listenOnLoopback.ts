import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Listens on an ephemeral loopback port: the server's origin (`http://127.0.0.1:<port>`), and a close
 * that drops open connections first (keep-alive clients, answers a test left hanging), so it never waits.
 */
export async function listenOnLoopback(server: Server): Promise<{ origin: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
