import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AcknowledgedWrite, RegionEndpoint } from './regionWriter.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The inside client's view, as far as it has printed it. */
export interface InsideRegionClient {
  acknowledged: AcknowledgedWrite[];
  /** The region's database node's answers, each time it changed: writable, read_only, standby, down. */
  probe: Array<{ at: number; role: string }>;
  /** Stops the writer and the probe; resolves with the writer's operations and unexpected answers. */
  stop(): Promise<{ operations: { attempted: number; succeeded: number }; unexpectedAnswers: string[] }>;
  kill(): void;
}

/** Starts insideRegionClient.ts in `namespace` and resolves once it runs. */
export async function startInsideRegionClient(
  namespace: string,
  options: {
    home: string;
    regions: RegionEndpoint[];
    conversationId: string;
    headers: Record<string, string>;
    label: string;
    probe: { host: string; port: number; database: string };
  },
): Promise<InsideRegionClient> {
  const child = spawn(
    'ip',
    ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', 'ops/chaos/regions/insideRegionClient.ts', JSON.stringify(options)],
    // eslint-disable-next-line n/no-process-env -- test harness: PATH only
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const client: InsideRegionClient = {
    acknowledged: [],
    probe: [],
    stop: () => {
      child.stdin.write('stop\n');
      return done;
    },
    kill: () => void child.kill('SIGKILL'),
  };
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let finish: (result: Awaited<ReturnType<InsideRegionClient['stop']>>) => void;
  const done = new Promise<Awaited<ReturnType<InsideRegionClient['stop']>>>((resolve) => (finish = resolve));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line) as { type: string } & Record<string, unknown>;
    if (event.type === 'ready') markReady();
    else if (event.type === 'ack') client.acknowledged.push(event as unknown as AcknowledgedWrite);
    else if (event.type === 'probe') client.probe.push(event as unknown as { at: number; role: string });
    else if (event.type === 'done') finish(event as unknown as Awaited<ReturnType<InsideRegionClient['stop']>>);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await Promise.race([
    ready,
    exited.then(() => {
      throw new Error(`the inside client in ${namespace} exited: ${stderr}`);
    }),
  ]);
  return client;
}
