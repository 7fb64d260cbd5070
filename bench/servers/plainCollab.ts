import fs from 'node:fs';
import { Redis } from '@hocuspocus/extension-redis';
import { Server } from '@hocuspocus/server';
import * as Y from 'yjs';
import { announcePort, memoryAfterGc, onCommand } from './announce.ts';

/**
 * The baseline: plain Hocuspocus, no extensions (no auth, persistence, limits or logging). With
 * BENCH_REDIS_URL it gets the official Redis extension under BENCH_REDIS_PREFIX, as a second node
 * would; with BENCH_DOCUMENT_STATE (a file holding one Yjs update) every document it loads starts from
 * that state, applied from memory. Commands as bench/servers/collab.ts.
 */
// eslint-disable-next-line n/no-process-env -- benchmark harness, not server code
const { BENCH_REDIS_URL, BENCH_REDIS_PREFIX = 'bench', BENCH_DOCUMENT_STATE } = process.env;
const state = BENCH_DOCUMENT_STATE ? new Uint8Array(fs.readFileSync(BENCH_DOCUMENT_STATE)) : undefined;
const redis = BENCH_REDIS_URL ? new URL(BENCH_REDIS_URL) : undefined;

const server = new Server({
  quiet: true,
  stopOnSignals: false,
  port: 0,
  address: '127.0.0.1',
  extensions: redis ? [new Redis({ host: redis.hostname, port: Number(redis.port || 6379), prefix: BENCH_REDIS_PREFIX })] : [],
  ...(state ? { onLoadDocument: async ({ document }) => Y.applyUpdate(document, state) } : {}),
});
await server.listen();
onCommand((command) => (command === 'memory' ? memoryAfterGc() : server.hocuspocus.getDocumentsCount()));
announcePort(server.address.port);
process.once('SIGTERM', () => void server.destroy().finally(() => process.exit(0)));
