import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDb, type Db } from '@shared/db.ts';
import { createConversation, registerUser } from '../test/factories.ts';
import { startDatabaseGate, type DatabaseGate } from '../test/databaseGate.ts';
import { TEST_POSTGRES_URL } from '../test/services.ts';
import { startStack, type Stack } from './harness.ts';
import { connected, signIn } from './pages.ts';

/**
 * The collab server refuses a connection it cannot check (its database is failing over) with
 * `database_failover`; in real Chromium, the page must take that as "not now" and connect again, not
 * as a refusal of access for good.
 */
describe('web client: the collab server cannot reach its database for a moment', () => {
  let stack: Stack;
  let gate: DatabaseGate;
  let collabDb: Db | undefined;

  beforeAll(async () => {
    // Shut from the start: the collab server's first connections are cut, as during a failover.
    gate = await startDatabaseGate(TEST_POSTGRES_URL, { isOpen: false });
    stack = await startStack({
      collabServices: (services) => {
        collabDb = createDb({
          DATABASE_URL: gate.through(services.config.DATABASE_URL!),
          DATABASE_POOL_MAX: 2,
          DATA_DIR: services.config.DATA_DIR,
        });
        return { ...services, db: collabDb };
      },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await collabDb?.destroy();
    await gate?.close();
  });

  it('connects again once the database answers, instead of ending the room', async () => {
    const user = await registerUser(stack.app, { name: 'Ada' });
    const conversation = await createConversation(stack.app, user, 'Through a failover');
    const page = await stack.openPage();
    await signIn(page, user, `/c/${conversation.id}`);
    await page.locator('.room').waitFor();
    // Refused at least once while the gate is shut: the access check's connection was cut.
    await waitUntil(() => gate.attempts > 0, 15_000);
    // Long enough for a page that took the refusal as final to say so (it does at once).
    await page.waitForTimeout(1_000);
    expect(await page.locator('.status').getAttribute('data-state')).not.toBe('denied');

    gate.open();
    await connected(page);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
