import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freeLoopbackPort } from '../../../test/pgCluster.ts';

/** A redis-server of the rig's own, on the host's bridge address. */
export interface DedicatedRedis {
  url: string;
  process: ChildProcess;
  stop(): void;
}

/**
 * Starts a throwaway, memory-only redis-server bound to `host`. The rig's servers run inside the regions,
 * where 127.0.0.1 is each namespace's own loopback: the machine's Redis is out of their reach, so the
 * rig brings one onto the bridge. It runs on the host, outside every region, like the monitor: losing
 * one region must not take the bus with it (losing Redis is a scenario of its own).
 */
export async function startDedicatedRedis(host: string): Promise<DedicatedRedis> {
  // A port free on loopback is as good as any here: nothing else binds the rig's fresh bridge address.
  const port = await freeLoopbackPort();
  // Protected mode refuses clients from other addresses when there is no password: the regions are
  // a private test network, trusted as the formation's `--auth trust` is.
  const settings = ['--bind', host, '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
  const child = spawn('redis-server', settings, { stdio: 'ignore' });
  child.on('error', () => {});
  const deadline = Date.now() + 15_000;
  while (!(await answersPing(host, port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on ${host}:${port} did not start`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://${host}:${port}`, process: child, stop: () => void child.kill('SIGKILL') };
}

function answersPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
    socket.on('error', () => resolve(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => (socket.destroy(), resolve(data.toString().startsWith('+PONG'))));
  });
}
