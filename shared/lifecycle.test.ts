import { describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeHttpServer } from './lifecycle.ts';

/** Rejects naming `what` unless `work` settles within `ms`: a hang fails with a reason, not the test's timeout. */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)),
  );
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

describe('closeHttpServer', () => {
  it('closes while a client keeps polling on a kept-alive connection that was busy when the shutdown began', async () => {
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding: (() => void) | undefined;
    const isHolding = new Promise<void>((resolve) => (holding = resolve));
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests += 1;
      // The second request is held: it is in flight when the shutdown begins.
      if (requests === 2) {
        holding!();
        void held.then(() => res.end('held'));
      } else res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    // One keep-alive connection, polled with no pause, as a health check would.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const answers: Array<{ body: string; connection: string | undefined }> = [];
    let isPolling = true;
    const poll = (async () => {
      while (isPolling) {
        const answer = await new Promise<{ body: string; connection: string | undefined } | undefined>((resolve) => {
          const req = http.get(url, { agent }, (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ body, connection: res.headers.connection }));
          });
          req.on('error', () => resolve(undefined));
        });
        // Refused: the server no longer listens, and the kept-alive connection is gone.
        if (!answer) return;
        answers.push(answer);
      }
    })();

    try {
      await isHolding;
      const closed = closeHttpServer(server);
      release!();
      await within(5_000, 'the server closing', closed);
    } finally {
      isPolling = false;
      await poll;
      agent.destroy();
    }

    // The request in flight was answered, not cut off; whatever was answered after it was told the connection ends.
    const heldAt = answers.findIndex((answer) => answer.body === 'held');
    expect(heldAt).toBeGreaterThanOrEqual(0);
    expect(answers.slice(heldAt + 1).map((answer) => answer.connection)).toEqual(answers.slice(heldAt + 1).map(() => 'close'));
    expect(server.listening).toBe(false);
  });
});
