import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `--import tsx` is resolved from the working directory, so a worker starts in the project's root. */
const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const STDERR_TAIL_CHARS = 4_096;

/**
 * What V8 prints when it aborts the whole process over memory: one allocation larger than the isolate's
 * heap (`new Array(1e8).fill(0)`: "is_heap_oom", SIGABRT) or larger than V8 allows at all
 * (`'x'.repeat(2 ** 27).split('')`: "invalid size error", SIGTRAP). isolated-vm cannot catch these.
 */
export const OUT_OF_MEMORY = /out of memory|heap limit|allocation failed|is_heap_oom|invalid size error/i;

/** The last few KB a worker wrote to stderr (a V8 abort's last words); cleared when a new job starts. */
export class StderrTail {
  text = '';

  append(chunk: string): void {
    this.text = (this.text + chunk).slice(-STDERR_TAIL_CHARS);
  }
}

interface ForkOptions<Ready> {
  /** The worker module. */
  entry: string;
  /** Node flags; `--import tsx` and `--no-node-snapshot` (isolated-vm crashes with Node's startup snapshot) come first. */
  execArgv?: string[];
  /** The uid (and gid) to run as, when this process may switch (it runs as root); else its own. */
  uid?: number;
  /** "plugin worker", "isolate worker": for the errors. */
  label: string;
  isReady: (message: unknown) => message is Ready;
  /** Every message after the fork (the ready one included). */
  onMessage: (message: unknown) => void;
  /** The worker is gone and all of its stderr has been read. */
  onClose: (code: number | null, signal: NodeJS.Signals | null) => void;
  stderr: StderrTail;
}

/**
 * Forks an isolated-vm worker the way both isolate pools need it (code execution, plugins): no
 * environment, so no secret of the API's is in its memory; an unprivileged uid when the API runs as
 * root, so code that got out of its isolate would not be root; stderr kept for the exit's diagnosis.
 * `ready` resolves with the worker's ready message, or rejects when it exits or stays silent first.
 */
export function forkIsolateWorker<Ready>(options: ForkOptions<Ready>): { child: ChildProcess; ready: Promise<Ready> } {
  const child = fork(options.entry, [], {
    cwd: PROJECT_ROOT,
    execArgv: ['--import', 'tsx', '--no-node-snapshot', ...(options.execArgv ?? [])],
    env: {},
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => options.stderr.append(chunk));
  child.on('message', options.onMessage);
  // 'close', not 'exit': only then has all of stderr (a V8 abort's last words) been read.
  child.on('close', options.onClose);
  const ready = new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${options.label} did not start within ${READY_TIMEOUT_MS} ms`));
      child.kill('SIGKILL');
    }, READY_TIMEOUT_MS);
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      reject(new Error(`${options.label} exited while starting (${signal ?? `code ${code}`}): ${options.stderr.text.trim()}`));
    };
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', onEarlyExit);
    child.on('message', (message: unknown) => {
      if (!options.isReady(message)) return;
      clearTimeout(timer);
      child.off('exit', onEarlyExit);
      resolve(message);
    });
  });
  return { child, ready };
}
