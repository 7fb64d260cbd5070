/**
 * Entry of an isolate worker process, forked by IsolateBackend. It is the only process that loads
 * isolated-vm: V8 is not resilient to running out of memory, so a bomb may take down this process,
 * which the backend replaces, and never the API. It runs one program at a time and, between runs,
 * prepares the isolate for the next one.
 */
import { performance } from 'node:perf_hooks';
import { IsolateRun } from './IsolateRun.ts';
import { PreparedIsolate } from './PreparedIsolate.ts';
import type { WorkerMessage, WorkerRunRequest, WorkerRunResult } from './protocol.ts';
import { stripTypes, warmUpTypeStripper } from './stripTypes.ts';

/** The isolate made at start, before any run says what it wants (the configuration's default). */
const FIRST_MEMORY_MIB = 128;

let prepared: PreparedIsolate | null = null;

/** An isolate for this memory limit: the one prepared in advance when it fits, else a new one. */
function takePrepared(memoryMiB: number): PreparedIsolate {
  prepareNext(memoryMiB);
  const taken = prepared!;
  prepared = null;
  return taken;
}

function prepareNext(memoryMiB: number): void {
  if (prepared?.memoryMiB === memoryMiB) return;
  prepared?.dispose();
  prepared = new PreparedIsolate(memoryMiB);
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function run(request: WorkerRunRequest): Promise<WorkerRunResult> {
  const deadline = performance.now() + request.wallTimeMs;
  let code = request.code;
  if (request.language === 'typescript') {
    const stripped = stripTypes(code);
    if ('syntaxError' in stripped) {
      const stderr = `SyntaxError: ${stripped.syntaxError}\n`;
      return { type: 'result', id: request.id, stdout: '', stderr, exitCode: 1, limit: null, truncated: { stdout: false, stderr: false } };
    }
    code = stripped.code;
  }
  const end = await new IsolateRun(takePrepared(request.memoryMiB), {
    code,
    stdin: request.stdin,
    deadline,
    outputBytes: request.outputBytes,
  }).execute();
  return { type: 'result', id: request.id, ...end };
}

function isRunRequest(message: unknown): message is WorkerRunRequest {
  return typeof message === 'object' && message !== null && 'type' in message && message.type === 'run';
}

process.on('message', (message: unknown) => {
  if (!isRunRequest(message)) return;
  send({ type: 'started', id: message.id });
  void run(message)
    .catch((error: unknown): WorkerRunResult => {
      const stderr = `The sandbox failed to run the program: ${error instanceof Error ? error.message : String(error)}\n`;
      return {
        type: 'result',
        id: message.id,
        stdout: '',
        stderr,
        exitCode: null,
        limit: null,
        truncated: { stdout: false, stderr: false },
      };
    })
    .then((result) => {
      send(result);
      // After the answer, so the caller never waits for it.
      setImmediate(() => prepareNext(message.memoryMiB));
    });
});
// The API process is gone (crashed, killed): nothing will ever ask this worker for anything again.
process.on('disconnect', () => process.exit(0));

warmUpTypeStripper();
prepareNext(FIRST_MEMORY_MIB);
send({ type: 'ready', v8: process.versions.v8, node: process.versions.node });
