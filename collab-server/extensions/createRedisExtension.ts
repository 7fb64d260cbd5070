import { Redis as RedisExtension } from '@hocuspocus/extension-redis';
import { Redis } from 'ioredis';
import type { Config } from '@shared/config.ts';
import type { Logger } from '@shared/logger.ts';

/**
 * Scale-out: the official Redis extension relays every document's updates and awareness between the
 * collab nodes that hold it, and locks stores so two nodes do not store one document at once. Its keys
 * and channels live under `<REDIS_PREFIX>collab`, beside the bus.
 */
export function createRedisExtension(config: Pick<Config, 'REDIS_URL' | 'REDIS_PREFIX'>, log: Logger): RedisExtension {
  const redisLog = log.child({ module: 'collab.redis' });
  const url = config.REDIS_URL!;
  return new RedisExtension({
    prefix: `${config.REDIS_PREFIX}collab`,
    // The extension bundles its own ioredis; the two copies' classes differ only in private fields.
    createClient: () => createRelayClient(url, redisLog),
  });
}

/**
 * One of the extension's Redis connections. A publish that fails while Redis is away is lost whatever
 * its caller does (the extension retries none), and some of the extension's publishes are not awaited —
 * the reply to another node's sync step — so their rejection would reach no handler and crash the
 * process (shared/lifecycle.ts). Every failed publish is logged here and settles as "delivered to nobody".
 */
export function createRelayClient(url: string, log: Logger): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 2 });
  client.on('error', (error) => log.warn({ err: error }, 'collab redis connection error'));
  const publish = client.publish.bind(client);
  client.publish = (channel: string, message: string | Buffer) =>
    publish(channel, message).catch((error: unknown) => {
      log.warn({ err: error, channel }, 'collab redis publish failed');
      return 0;
    });
  return client;
}
