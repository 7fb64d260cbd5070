import net from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createRelayClient } from './createRedisExtension.ts';

describe('the collab relay’s Redis connection', () => {
  it('settles a publish made while Redis is gone as delivered to nobody, never as a rejection nobody may hear', async () => {
    // A port where Redis just stopped listening.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const client = createRelayClient(`redis://127.0.0.1:${port}`, pino({ level: 'silent' }));
    try {
      await expect(client.publish('collab:document', 'an update')).resolves.toBe(0);
    } finally {
      client.disconnect();
    }
  });
});
