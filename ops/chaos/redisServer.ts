import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freeLoopbackPort } from '../../test/pgCluster.ts';
import { pollUntilAsync } from './pollUntil.ts';

/** A redis-server of a scenario's own, on a port the OS picked: never the shared one on 6379. */
export interface DedicatedRedis {
  port: number;
  /** `redis://<host>:<port>` */
  url: string;
  /** SIGKILLs the server and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing on disk) and waits until it answers. */
  restart(): Promise<void>;
  /** Kills it if it runs; safe to call twice. */
  close(): Promise<void>;
  /** SIGKILL without waiting, for a process exit handler (which cannot wait). */
  killNow(): void;
}

/** True when something accepts connections on the port. */
const isListening = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * Starts `redis-server` in the foreground (no persistence) as a child of this process, bound to `host`:
 * loopback by default; the region rig binds it to its bridge's host address, reachable from every region.
 */
export async function startDedicatedRedis(host = '127.0.0.1'): Promise<DedicatedRedis> {
  // A port free on loopback is as good as any on another address: nothing else binds a rig's fresh bridge.
  const port = await freeLoopbackPort();
  // Without a password, protected mode refuses clients from other addresses: the regions are a private
  // test network, trusted as the formation's `--auth trust` is.
  const settings = ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no'];
  if (host !== '127.0.0.1') settings.push('--protected-mode', 'no');
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', settings, { stdio: 'ignore' });
    child.on('error', () => {});
    await pollUntilAsync(() => isListening(host, port), 15_000, `redis-server to listen on ${host}:${port}`, 20);
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port, url: `redis://${host}:${port}`, kill, restart: start, close: kill, killNow: () => void child?.kill('SIGKILL') };
}
