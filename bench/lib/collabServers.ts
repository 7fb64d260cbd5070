import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { createTokenSettings } from '@shared/auth.ts';
import { storeConversationState } from '@shared/documents/storeConversationState.ts';
import { registerUser } from '../../rest-api/modules/auth/registerUser.ts';
import { createConversation } from '../../rest-api/modules/conversations/createConversation.ts';
import { TEST_REDIS_URL, createEmptyDatabase, deleteRedisKeys, uniqueName } from '../../test/services.ts';
import { startServer, type ChildServer } from './childServer.ts';

/** Collab nodes in their own processes. */
export interface CollabNodes {
  nodes: ChildServer[];
  /** `ws://127.0.0.1:<port>`, one per node. */
  urls: string[];
  /** A token that may edit every document `createDocument` makes (null on plain Hocuspocus, which checks none). */
  token: string | null;
  /** A document to open: on our server a new conversation of the owner, holding `state` (stored compactly) and `log` (update-log rows). */
  createDocument(content?: { state?: Uint8Array; log?: Uint8Array[] }): Promise<string>;
}

interface NodeOptions {
  /** How many nodes; more than one shares a Redis prefix of its own. Default 1. */
  nodes?: number;
  /** Extra Node flags for the servers (`--expose-gc`). */
  nodeArgs?: string[];
}

/**
 * Runs `use` against our collab server as production runs it (NODE_ENV=production, real services on a
 * fresh, migrated PostgreSQL database, logs silenced; Redis only for two nodes or more, under a prefix
 * of its own), with a registered user who owns every conversation. Servers, database and Redis keys
 * are gone afterwards, whatever happened.
 */
export async function withOurCollab<T>(options: NodeOptions, use: (collab: CollabNodes) => Promise<T>): Promise<T> {
  const count = options.nodes ?? 1;
  const database = await createEmptyDatabase();
  const prefix = `${uniqueName('twinmcp-bench')}:`;
  const secret = crypto.randomBytes(32).toString('base64url');
  const nodes: ChildServer[] = [];
  let db: Knex | undefined;
  try {
    // One after the other: each migrates the database at start, and migrations take a lock.
    for (let i = 0; i < count; i++) {
      nodes.push(
        await startServer(
          'collab',
          {
            NODE_ENV: 'production',
            DATABASE_URL: database.url,
            JWT_SECRET: secret,
            LOG_LEVEL: 'silent',
            DATA_DIR: '/nonexistent-bench-data-dir',
            // Every bench client is the one owner, and up to 200 documents sit open at once.
            COLLAB_MAX_CONNECTIONS_PER_USER: '10000',
            ...(count > 1 ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix } : {}),
          },
          options.nodeArgs,
        ),
      );
    }
    db = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 4 } });
    const tokens = createTokenSettings({ JWT_SECRET: secret, DATA_DIR: '/nonexistent-bench-data-dir', ACCESS_TOKEN_TTL_SECONDS: 3600 });
    const session = await registerUser(
      db,
      { tokens, refreshTokenTtlDays: 1 },
      {
        email: `bench-${crypto.randomBytes(6).toString('hex')}@example.com`,
        password: 'correct horse battery staple',
        name: 'Bench',
      },
    );
    const actor = { type: 'user' as const, id: session.user.id };
    const setupDb = db;
    return await use({
      nodes,
      urls: nodes.map((node) => node.url.replace('http:', 'ws:')),
      token: session.accessToken,
      async createDocument(content = {}) {
        const conversation = await createConversation(setupDb, { actor, title: 'Quarterly planning with the assistant' });
        // What the collab server itself writes: UpdateLogExtension's rows, PersistenceExtension's compact state.
        if (content.log?.length) {
          const rows = content.log.map((update) => ({ conversation_id: conversation.id, update: Buffer.from(update) }));
          await setupDb.batchInsert('conversation_updates', rows, 1000);
        }
        if (content.state) await storeConversationState(setupDb, conversation.id, content.state);
        return `conversation:${conversation.id}`;
      },
    });
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    await db?.destroy();
    await database.drop();
    if (count > 1) await deleteRedisKeys(prefix);
  }
}

/**
 * Runs `use` against plain Hocuspocus (bench/servers/plainCollab.ts): no extensions, or only the
 * official Redis one for two nodes or more. Every document it loads starts from `state`, from memory.
 */
export async function withPlainCollab<T>(
  options: NodeOptions & { state?: Uint8Array },
  use: (collab: CollabNodes) => Promise<T>,
): Promise<T> {
  const count = options.nodes ?? 1;
  const prefix = uniqueName('hocuspocus-bench');
  const stateFile = options.state ? path.join(os.tmpdir(), `${uniqueName('bench-state')}.bin`) : undefined;
  if (stateFile) fs.writeFileSync(stateFile, options.state!);
  const nodes: ChildServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(
        await startServer(
          'plainCollab',
          {
            ...(count > 1 ? { BENCH_REDIS_URL: TEST_REDIS_URL, BENCH_REDIS_PREFIX: prefix } : {}),
            ...(stateFile ? { BENCH_DOCUMENT_STATE: stateFile } : {}),
          },
          options.nodeArgs,
        ),
      );
    }
    return await use({
      nodes,
      urls: nodes.map((node) => node.url.replace('http:', 'ws:')),
      token: null,
      createDocument: async () => `conversation:${crypto.randomUUID()}`,
    });
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    if (stateFile) fs.rmSync(stateFile, { force: true });
    if (count > 1) await deleteRedisKeys(prefix);
  }
}
