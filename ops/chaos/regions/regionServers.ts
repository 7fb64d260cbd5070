import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A product server (REST API or collab) running inside a region. */
export interface RegionServer {
  child: ChildProcess;
  port: number;
  /** Resolves when it exits (killed with its region, or stopped). */
  exited: Promise<void>;
  /** The last error-level log lines it wrote (a 500's cause, for the drill's report). */
  errors: string[];
}

/**
 * Runs one of the product's entry points in a region's namespace (`ip netns exec` execs in place: the
 * child's pid is node's own), with exactly `env` plus PATH, and resolves once it logs `listeningMessage`
 * with its port. Its stdout (pino lines) is read only until then; stderr is kept for failures.
 */
export async function startRegionServer(options: {
  namespace: string;
  entryPoint: 'main.ts' | 'rest-api/main.ts' | 'collab-server/main.ts';
  env: Record<string, string>;
  listeningMessage: string;
  timeoutMs?: number;
}): Promise<RegionServer> {
  const child = spawn('ip', ['netns', 'exec', options.namespace, process.execPath, '--import', 'tsx', options.entryPoint], {
    cwd: ROOT,
    // eslint-disable-next-line n/no-process-env -- test harness: PATH only, for anything the child spawns
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const lines = readline.createInterface({ input: child.stdout });
  const errors: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`did not log "${options.listeningMessage}" in ${options.timeoutMs ?? 90_000} ms`),
      options.timeoutMs ?? 90_000,
    );
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${options.entryPoint} in ${options.namespace} ${why}; stderr: ${stderr}`));
    };
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as {
          msg?: string;
          port?: number;
          level?: number;
          module?: string;
          err?: { message?: string };
          req?: { method?: string; path?: string };
          res?: { status?: number };
        };
        // A 503 during a failover is the product working; anything else at error level is kept, briefly.
        if ((entry.level ?? 0) >= 50 && entry.res?.status !== 503) {
          const where = entry.req ? `${entry.req.method} ${entry.req.path} ${entry.res?.status}` : (entry.module ?? '');
          if (errors.push(`${where}: ${entry.msg} ${entry.err?.message ?? ''}`.slice(0, 500)) > 50) errors.shift();
        }
        if (entry.msg === options.listeningMessage && entry.port) {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // Not a pino line.
      }
    });
    void exited.then(() => fail(`exited (${child.exitCode ?? child.signalCode})`));
  });
  return { child, port, exited, errors };
}
