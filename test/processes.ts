import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One pino line from a child's stdout. */
export type LogLine = { msg?: string; [key: string]: unknown };

export interface EntryPointProcess {
  child: ChildProcess;
  /** Every JSON line the child has written to stdout so far. */
  logs: LogLine[];
  /** Resolves with the first log line whose `msg` is `msg` (already written or still to come). */
  waitForLog(msg: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when the child exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the child wrote to stderr, for failure messages. */
  stderr(): string;
  /** SIGKILLs the child if it still runs and waits for it: afterAll's safety net. */
  kill(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs an entry point (`main.ts`, `rest-api/main.ts`, …) in one node process with tsx as its loader,
 * with `args` after it and exactly the environment given plus PATH: nothing leaks in from the test runner's own environment
 * (a DATABASE_URL there would silently change which database the child uses).
 *
 * Not `node_modules/.bin/tsx <file>`: that CLI runs the program in a second process and relays signals
 * to it, and when the child does not acknowledge a signal within 30 ms it SIGKILLs it (tsx 4.23
 * dist/cli.mjs › relaySignals). Under load that turned graceful-shutdown tests into exit 143.
 */
export function spawnEntryPoint(entryPoint: string, env: Record<string, string>, args: string[] = []): EntryPointProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entryPoint, ...args], {
    cwd: ROOT,
    // eslint-disable-next-line n/no-process-env -- test harness: PATH only, for anything the child spawns
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ msg: undefined, text: line });
    }
    waiters.forEach((wake) => wake());
  });
  let hasClosed = false;
  const describe = () => `exit ${child.exitCode ?? child.signalCode}; stdout: ${JSON.stringify(logs.slice(-10))}; stderr: ${stderr}`;
  // 'close', not 'exit': it waits for stdout to drain, so every line the child wrote is in `logs` by then.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      hasClosed = true;
      resolve({ code, signal });
      waiters.forEach((wake) => wake());
    }),
  );

  return {
    child,
    logs,
    exited,
    stderr: () => stderr,
    waitForLog(msg, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = logs.find((entry) => entry.msg === msg);
          if (line) return done(() => resolve(line));
          if (hasClosed) done(() => reject(new Error(`${entryPoint} exited before logging "${msg}"; ${describe()}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${entryPoint} did not log "${msg}" within ${timeoutMs} ms; ${describe()}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async kill() {
      if (hasClosed) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A collab-server/main.ts child on a test app's database (and its Redis, when the app has one). */
export interface CollabNodeProcess extends EntryPointProcess {
  port: number;
  /** `ws://127.0.0.1:<port>` */
  url: string;
}

/**
 * Starts `collab-server/main.ts` as its own process against the test app's PostgreSQL database, with
 * the test JWT secret, and — when the app uses Redis — the same Redis and prefix, so it is one more node
 * of the same deployment. Resolves once it listens. Kill it with `child.kill('SIGKILL')` to lose a node.
 */
export async function spawnCollabNode(
  app: { config: { DATABASE_URL?: string; REDIS_URL?: string; REDIS_PREFIX: string; JWT_SECRET?: string } },
  env: Record<string, string> = {},
): Promise<CollabNodeProcess> {
  const node = spawnEntryPoint('collab-server/main.ts', {
    DATABASE_URL: app.config.DATABASE_URL!,
    JWT_SECRET: app.config.JWT_SECRET!,
    REDIS_PREFIX: app.config.REDIS_PREFIX,
    ...(app.config.REDIS_URL ? { REDIS_URL: app.config.REDIS_URL } : {}),
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    COLLAB_PORT: '0',
    LOG_LEVEL: 'info',
    DATA_DIR: '/nonexistent-test-data-dir',
    ...env,
  });
  try {
    const port = Number((await node.waitForLog('collab-server listening')).port);
    return { ...node, port, url: `ws://127.0.0.1:${port}` };
  } catch (error) {
    await node.kill();
    throw error;
  }
}

/**
 * Pids of the live (not zombie) children of `parentPid` whose command line names `script`, read from
 * /proc: worker pools have no test-only accessor for their processes.
 */
export function childPidsRunning(script: string, parentPid = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the parenthesised command (which may hold spaces): the state, then the parent's pid.
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(parent) === parentPid && state !== 'Z' && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(script)) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while being read.
    }
  }
  return pids;
}

/** Polls `condition` until it holds or `timeoutMs` passes (then fails saying `what`). */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
