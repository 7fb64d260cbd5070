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
    createClient: () => {
      const client = new Redis(url, { maxRetriesPerRequest: 2 });
      client.on('error', (error) => redisLog.warn({ err: error }, 'collab redis connection error'));
      // The extension bundles its own ioredis; the two copies' classes differ only in private fields.
      return client;
    },
  });
}
