import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root: children run from here so `--import tsx` and tsconfig's `@shared/*` resolve. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Servers in bench/servers/ that a scenario can start. */
export type ServerName = 'app' | 'bare' | 'collab' | 'plainCollab' | 's3rver';

/** A server running in its own process. */
export interface ChildServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** SIGTERM, then waits for the exit (SIGKILL after 15 s). */
  stop(): Promise<void>;
  /** Sends a command line on the child's stdin (bench/servers/announce.ts › onCommand) and resolves with its answer. */
  ask(command: string): Promise<unknown>;
}

const STARTUP_TIMEOUT_MS = 60_000;
const running = new Set<ChildProcess>();
// A crashed or interrupted bench must not leave servers holding ports and database connections.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `bench/servers/<name>.ts` in a child process on the same Node binary, so the server and the
 * load generator (this process) never share an event loop: on a 2-core machine each gets a core.
 * The child announces `{"port":N}` on stdout once it listens. Its environment is only PATH, HOME and
 * `env`, so a developer's own DATABASE_URL or the like cannot leak into a measurement.
 */
export function startServer(name: ServerName, env: Record<string, string>, nodeArgs: string[] = []): Promise<ChildServer> {
  const script = fileURLToPath(new URL(`../servers/${name}.ts`, import.meta.url));
  // eslint-disable-next-line n/no-process-env -- benchmark harness, not server code
  const inherited = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  const answers: Array<(answer: unknown) => void> = [];
  const ask = (command: string) =>
    new Promise<unknown>((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`bench server "${name}" has exited`));
      answers.push(resolve);
      child.stdin.write(`${JSON.stringify({ command })}\n`);
    });

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(new Error(`bench server "${name}" ${reason}${stderr ? `:\n${stderr.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`did not announce its port within ${STARTUP_TIMEOUT_MS / 1000} s`), STARTUP_TIMEOUT_MS);
    child.once('exit', (code, signal) => fail(`exited before listening (code ${code}, signal ${signal})`));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const answer = parseField(line, 'answer');
      if (answer !== undefined) return answers.shift()?.(answer);
      const port = parseField(line, 'port');
      if (typeof port !== 'number' || settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${port}`, stop, ask });
    });
  });
}

function parseField(line: string, field: string): unknown {
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    return typeof parsed === 'object' && parsed !== null ? parsed[field] : undefined;
  } catch {
    return undefined;
  }
}
