import type { Server } from 'node:http';
import readline from 'node:readline';

/**
 * Tells the parent (bench/lib/childServer.ts) where the server listens: one `{"port":N}` line on
 * stdout. Also ends the process when the parent goes away (its end of stdin closes), so that a killed
 * bench never leaves a server behind.
 */
export function announcePort(server: Server | number): void {
  const address = typeof server === 'number' ? { port: server } : server.address();
  if (!address || typeof address === 'string') throw new Error('server is not listening on a TCP port');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
}

/**
 * Answers the parent's commands (ChildServer › ask): each `{"command":…}` line on stdin gets one
 * `{"answer":…}` line on stdout, in order.
 */
export function onCommand(handle: (command: string) => unknown): void {
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const { command } = JSON.parse(line) as { command: string };
    process.stdout.write(`${JSON.stringify({ answer: handle(command) ?? null })}\n`);
  });
}

/** The process's memory after a full garbage collection (needs `--expose-gc`), in bytes. */
export function memoryAfterGc(): { rss: number; heapUsed: number } {
  if (typeof globalThis.gc !== 'function') throw new Error('start the server with --expose-gc');
  globalThis.gc();
  globalThis.gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}
