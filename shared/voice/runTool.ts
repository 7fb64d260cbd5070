import { spawn } from 'node:child_process';
import { EngineUnavailableError } from './voiceErrors.ts';

/** A program this capability runs, and the Debian package that installs it (named when it is missing). */
export interface Tool {
  path: string;
  debianPackage: string;
}

export interface ToolOutput {
  stdout: Buffer;
  stderr: string;
}

/** Error output kept for messages: ffmpeg can print a lot, the end says what went wrong. */
const STDERR_KEPT = 4_000;

/**
 * Runs a program to completion and returns what it printed. A missing program is EngineUnavailableError
 * (503, naming the package) rather than a crash; a non-zero exit rejects with its last error lines.
 * `input` is written to its standard input; `signal` kills it.
 */
export function runTool(tool: Tool, args: string[], options: { input?: Buffer; signal?: AbortSignal } = {}): Promise<ToolOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool.path, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new EngineUnavailableError(tool.path, tool.debianPackage) : error);
    });
    child.once('close', (code, signal) => {
      if (code === 0) resolve({ stdout: Buffer.concat(stdout), stderr });
      else reject(new ToolFailedError(tool.path, code, signal, stderr));
    });
    // A program that exits without reading its input closes the pipe: that is its answer, not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** A program ran and failed. */
export class ToolFailedError extends Error {
  constructor(
    readonly program: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
  ) {
    super(`${program} failed (${exitCode ?? signal}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}
