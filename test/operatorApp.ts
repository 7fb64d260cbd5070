import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { grantOperator } from '@shared/operators.ts';
import type { QueueDefinition } from '@shared/jobs/defineQueue.ts';
import { bearer, createConversation, registerUser, type TestUser } from './factories.ts';
import { startTestApp, type TestApp } from './http.ts';

/**
 * The REST app over real HTTP, with one operator user and one conversation: what the chaos drills'
 * writers and the switchover test talk to.
 */
export interface OperatorApp {
  testApp: TestApp;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** An operator (it may call /api/dr) who owns `conversationId`. */
  user: TestUser;
  /** `Authorization` for `user`. */
  headers: Record<string, string>;
  conversationId: string;
  close(): Promise<void>;
}

/**
 * Starts the REST app (startTestApp: its own database unless `env` names another, its own Redis prefix)
 * on a loopback port the OS picks, and registers the operator the drills write as.
 */
export async function startOperatorApp(
  options: Parameters<typeof startTestApp>[0] & { queues?: QueueDefinition[] } = {},
): Promise<OperatorApp> {
  const testApp = await startTestApp(options);
  const server = http.createServer(testApp.app);
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const user = await registerUser(testApp);
    const { id: conversationId } = await createConversation(testApp, user);
    await grantOperator(testApp.services.db, user.email, 'cli');
    return {
      testApp,
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      user,
      headers: bearer(user),
      conversationId,
      close: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await testApp.close().catch(() => {});
      },
    };
  } catch (error) {
    server.close();
    await testApp.close().catch(() => {});
    throw error;
  }
}
