import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freeLoopbackPort } from '../../test/pgCluster.ts';
import { pollUntilAsync } from './pollUntil.ts';

/** A redis-server of a scenario's own, on a loopback port the OS picked: never the shared one on 6379. */
export interface DedicatedRedis {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** SIGKILLs the server and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing on disk) and waits until it answers. */
  restart(): Promise<void>;
  /** Kills it if it runs; safe to call twice. */
  close(): Promise<void>;
}

/** True when something accepts connections on the port. */
const isListening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Starts `redis-server` in the foreground (no persistence, loopback only) as a child of this process. */
export async function startDedicatedRedis(): Promise<DedicatedRedis> {
  const port = await freeLoopbackPort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await pollUntilAsync(() => isListening(port), 10_000, `redis-server to listen on ${port}`, 20);
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, kill, restart: start, close: kill };
}
