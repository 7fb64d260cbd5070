import http from 'node:http';
import type net from 'node:net';
import readline from 'node:readline';
import { z } from 'zod';
import { createDb } from '@shared/db.ts';
import { createCollabServer } from '../collab-server/server.ts';
import { startDatabaseGate, type DatabaseGate } from './databaseGate.ts';
import { startTestApp, type TestApp } from './http.ts';

/**
 * The product as a phone sees it, in its own process, for test runners that cannot load the servers'
 * code themselves (the Expo app's jest-expo suite). It starts the REST API and the collab server on the
 * same fresh PostgreSQL database and Redis prefix (test/http.ts › startTestApp), each on a port the OS
 * picks, and prints one JSON line on stdout: `{ "apiUrl": "http://127.0.0.1:…", "collabUrl": "ws://127.0.0.1:…" }`.
 *
 * Run from the repository root: `node --import tsx test/productProcess.ts ['{"ACCESS_TOKEN_TTL_SECONDS":"2"}']`
 * (the optional argument is configuration on top of the test defaults). SIGTERM, SIGINT or the parent
 * closing stdin (it died) stops both servers and drops the database and Redis keys, then exits 0.
 *
 * Stdin also takes one JSON command a line, answered on stdout with the same `id`, for the seeding the
 * API cannot do without email delivery (as test/factories.ts › addWorkspaceMember does in-process):
 * `{"id":1,"command":"addWorkspaceMember","workspaceId":"…","userId":"…","role":"member"}` → `{"id":1,"ok":true}`.
 * The collab server reaches the database through a gate (test/databaseGate.ts): `{"id":2,"command":"shutCollabDatabase"}`
 * cuts its connections as a failover would, until `{"id":3,"command":"openCollabDatabase"}`.
 */
async function main(): Promise<void> {
  const env = parseEnvArgument(process.argv[2]);
  const app = await startTestApp({ env });
  const gate = await startDatabaseGate(app.services.config.DATABASE_URL!, { isOpen: true });
  const collabDb = createDb(
    { ...app.services.config, DATABASE_URL: gate.through(app.services.config.DATABASE_URL!) },
    { log: app.services.log },
  );
  const collab = createCollabServer({ ...app.services, db: collabDb });
  const collabPort = await collab.listen(0, '127.0.0.1');
  const rest = http.createServer(app.app);
  await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', resolve));
  const apiPort = (rest.address() as net.AddressInfo).port;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      rest.closeAllConnections();
      await new Promise((resolve) => rest.close(resolve));
      await collab.close();
      await collabDb.destroy();
      await gate.close();
      await app.close();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`productProcess: cleanup failed: ${String(error)}\n`);
        process.exit(1);
      },
    ));
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  // A parent that died without signalling leaves no database behind: its end of stdin closes.
  process.stdin.on('end', () => void stop());
  readline.createInterface({ input: process.stdin }).on('line', (line) => void answer(app, gate, line));

  process.stdout.write(`${JSON.stringify({ apiUrl: `http://127.0.0.1:${apiPort}`, collabUrl: `ws://127.0.0.1:${collabPort}` })}\n`);
}

const Command = z.discriminatedUnion('command', [
  z.object({
    id: z.number(),
    command: z.literal('addWorkspaceMember'),
    workspaceId: z.uuid(),
    userId: z.uuid(),
    role: z.enum(['admin', 'member', 'viewer']),
  }),
  z.object({ id: z.number(), command: z.enum(['shutCollabDatabase', 'openCollabDatabase']) }),
]);

/** Runs one stdin command and writes its answer (or its error) as one JSON line. */
async function answer(app: TestApp, gate: DatabaseGate, line: string): Promise<void> {
  let id: unknown;
  try {
    const command = Command.parse(JSON.parse(line));
    id = command.id;
    if (command.command === 'addWorkspaceMember')
      await app.services.db('workspace_members').insert({ workspace_id: command.workspaceId, user_id: command.userId, role: command.role });
    else if (command.command === 'shutCollabDatabase') gate.shut();
    else gate.open();
    process.stdout.write(`${JSON.stringify({ id, ok: true })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ id, ok: false, error: error instanceof Error ? error.message : String(error) })}\n`);
  }
}

/** The optional JSON object of configuration values; anything else is a usage error. */
function parseEnvArgument(argument: string | undefined): Record<string, string> {
  if (!argument) return {};
  const parsed: unknown = JSON.parse(argument);
  if (typeof parsed !== 'object' || parsed === null || Object.values(parsed).some((value) => typeof value !== 'string')) {
    throw new Error('productProcess: the argument must be a JSON object of string values');
  }
  return parsed as Record<string, string>;
}

main().catch((error: unknown) => {
  process.stderr.write(`productProcess: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
