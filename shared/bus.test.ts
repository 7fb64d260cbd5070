import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createBus, createMemoryBus, type BusEvents } from './bus.ts';
import { createLogger } from './logger.ts';
import { TEST_REDIS_URL, deleteRedisKeys, uniqueName } from '../test/services.ts';

const log = createLogger({ LOG_LEVEL: 'silent', LOG_PRETTY: false });
const deleted: BusEvents['conversation.deleted'] = { conversationId: 'c1', workspaceId: null, actorId: 'u1' };

/** Resolves with the next payload of an event. */
function nextEvent<E extends keyof BusEvents>(bus: { subscribe: (e: E, l: (p: BusEvents[E]) => void) => () => void }, event: E) {
  return new Promise<BusEvents[E]>((resolve) => {
    const off = bus.subscribe(event, (payload) => {
      off();
      resolve(payload);
    });
  });
}

describe('in-process bus', () => {
  it('delivers a copy of the payload to every listener', async () => {
    const bus = createMemoryBus(log);
    const first = nextEvent(bus, 'conversation.deleted');
    const second = nextEvent(bus, 'conversation.deleted');
    const payload = { ...deleted };
    await bus.publish('conversation.deleted', payload);
    expect(await first).toEqual(deleted);
    expect(await second).not.toBe(payload);
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const bus = createMemoryBus(log);
    bus.subscribe('conversation.deleted', () => {
      throw new Error('listener bug');
    });
    const healthy = nextEvent(bus, 'conversation.deleted');
    await bus.publish('conversation.deleted', deleted);
    expect(await healthy).toEqual(deleted);
  });

  it('stops delivering to a listener once unsubscribed', async () => {
    const bus = createMemoryBus(log);
    const heard: unknown[] = [];
    const off = bus.subscribe('conversation.deleted', (payload) => void heard.push(payload));
    off();
    await bus.publish('conversation.deleted', deleted);
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual([]);
  });
});

describe('Redis bus across two processes', () => {
  const prefix = `${uniqueName('twinmcp-test')}:`;
  afterAll(() => deleteRedisKeys(prefix));

  it('carries events both ways between processes, and not across deployments', async () => {
    const bus = await createBus({ redisUrl: TEST_REDIS_URL, prefix, log });
    const stranger = await createBus({ redisUrl: TEST_REDIS_URL, prefix: `${prefix}other:`, log });
    const strangerHeard: unknown[] = [];
    stranger.subscribe('conversation.deleted', (payload) => void strangerHeard.push(payload));
    const peer = spawn('node_modules/.bin/tsx', ['test/fixtures/busPeer.ts', TEST_REDIS_URL, prefix], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = readline.createInterface({ input: peer.stdout });
      const iterator = lines[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toBe('ready');
      const reply = nextEvent(bus, 'message.created');
      await bus.publish('conversation.deleted', deleted);
      expect(JSON.parse((await iterator.next()).value)).toEqual({ heard: 'conversation.deleted', payload: deleted });
      const answer = await reply;
      expect(answer.conversationId).toBe('c1');
      // The reply names the peer's process: it came from there, not from a listener of ours.
      expect(answer.message.content).toMatch(/^pid \d+$/);
      expect(answer.message.content).not.toBe(`pid ${process.pid}`);
      expect(strangerHeard).toEqual([]);
      expect(await bus.isReady()).toBe(true);
    } finally {
      peer.kill('SIGTERM');
      await bus.close();
      await stranger.close();
    }
  });
});
