import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/** The repository root: the product's code, its node_modules and the helper that starts it. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Node 22 from the root's devDependencies (the servers need it); the runner's own node otherwise. */
const NODE = fs.existsSync(path.join(REPO_ROOT, 'node_modules/.bin/node'))
  ? path.join(REPO_ROOT, 'node_modules/.bin/node')
  : process.execPath;
/** Starting means: tsx loads the servers, a database is created and migrated. Generous on two busy cores. */
const START_TIMEOUT_MS = 90_000;

/** The REST API and collab server, running for one test file on a fresh database. */
export interface Product {
  /** `http://127.0.0.1:<port>` */
  apiUrl: string;
  /** `ws://127.0.0.1:<port>` */
  collabUrl: string;
  /** Makes a user a member of a workspace (the API does it by invitation email, which the tests skip). */
  addWorkspaceMember(workspaceId: string, userId: string, role: 'admin' | 'member' | 'viewer'): Promise<void>;
  /** Cuts the collab server's database connections, new and open, as a failover would; until `openCollabDatabase`. */
  shutCollabDatabase(): Promise<void>;
  openCollabDatabase(): Promise<void>;
  /** SIGTERMs the product and waits: its database and Redis keys are gone afterwards. */
  stop(): Promise<void>;
}

/**
 * Starts the real product (test/productProcess.ts at the repository root) on loopback, on ports the OS
 * picks, with `env` on top of the test configuration. A product that cannot start fails the test with
 * its stderr: nothing here falls back to a fake server.
 */
export function startProduct(env: Record<string, string> = {}): Promise<Product> {
  const child = spawn(NODE, ['--import', 'tsx', 'test/productProcess.ts', JSON.stringify(env)], {
    cwd: REPO_ROOT,
    // PATH only: a DATABASE_URL or the like from the runner's shell must not reach the servers.
    // eslint-disable-next-line n/no-process-env -- test harness: PATH only, for what the product spawns
    env: { PATH: typeof process.env.PATH === 'string' ? process.env.PATH : '', NODE_ENV: 'test' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const answers = new Map<number, (answer: { ok: boolean; error?: string }) => void>();
  let nextId = 1;

  return new Promise<Product>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`the product did not start within ${START_TIMEOUT_MS} ms; stderr: ${stderr}`)),
      START_TIMEOUT_MS,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    void exited.then(() => fail(new Error(`the product exited before it was ready; stderr: ${stderr}`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { apiUrl?: string; collabUrl?: string; id?: number; ok?: boolean; error?: string };
      if (message.id !== undefined) {
        answers.get(message.id)?.({ ok: message.ok === true, error: message.error });
        return;
      }
      if (!message.apiUrl || !message.collabUrl) return;
      clearTimeout(timer);
      resolve({
        apiUrl: message.apiUrl,
        collabUrl: message.collabUrl,
        addWorkspaceMember: (workspaceId, userId, role) =>
          command(child, answers, nextId++, { command: 'addWorkspaceMember', workspaceId, userId, role }),
        shutCollabDatabase: () => command(child, answers, nextId++, { command: 'shutCollabDatabase' }),
        openCollabDatabase: () => command(child, answers, nextId++, { command: 'openCollabDatabase' }),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

async function command(
  child: ChildProcessWithoutNullStreams,
  answers: Map<number, (answer: { ok: boolean; error?: string }) => void>,
  id: number,
  body: Record<string, unknown>,
): Promise<void> {
  const answer = await new Promise<{ ok: boolean; error?: string }>((resolve) => {
    answers.set(id, resolve);
    child.stdin.write(`${JSON.stringify({ id, ...body })}\n`);
  });
  answers.delete(id);
  if (!answer.ok) throw new Error(`product command ${String(body.command)} failed: ${answer.error}`);
}

/** A name nobody else's test picks. */
export const uniqueEmail = (name: string) => `${name}-${randomUUID().slice(0, 8)}@example.test`;
