import readline from 'node:readline';
import pg from 'pg';
import { z } from 'zod';
import { startRegionWriter } from './regionWriter.ts';

/**
 * A client living INSIDE a region (started with `ip netns exec` by startInsideRegionClient.ts): when the
 * region is cut off, it still reaches what the region holds — its own API and its own PostgreSQL node —
 * and nothing else, as a user in that region would. It runs a region-aware writer and probes the
 * region's database node every ~50 ms, printing one JSON line per event on stdout:
 *   {"type":"ready"} · {"type":"ack",…} per acknowledged message · {"type":"probe","at",…,"role"} when the
 *   node's answer changes · {"type":"done","operations",…,"unexpectedAnswers",…} after "stop" on stdin.
 */
const Options = z.object({
  home: z.string(),
  regions: z.array(z.object({ name: z.string(), apiUrl: z.string() })),
  conversationId: z.string(),
  headers: z.record(z.string(), z.string()),
  label: z.string(),
  probe: z.object({ host: z.string(), port: z.number(), database: z.string() }),
});
const options = Options.parse(JSON.parse(process.argv[2] ?? '{}'));
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const writer = startRegionWriter(options);
let printedAcks = 0;
const ackPrinter = setInterval(() => {
  for (; printedAcks < writer.acknowledged.length; printedAcks += 1) print({ type: 'ack', ...writer.acknowledged[printedAcks] });
}, 20);

let isProbing = true;
const probing = (async () => {
  let last = '';
  while (isProbing) {
    const role = await roleOf(options.probe);
    if (role !== last) print({ type: 'probe', at: Date.now(), role });
    last = role;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
})();

/** What the node answers on a fresh connection: writable, read_only, standby or down. */
async function roleOf(target: { host: string; port: number; database: string }): Promise<string> {
  const client = new pg.Client({ ...target, user: 'postgres', connectionTimeoutMillis: 500, query_timeout: 500 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ in_recovery: boolean; read_only: string }>(
      "select pg_is_in_recovery() as in_recovery, current_setting('transaction_read_only') as read_only",
    );
    if (rows[0]?.in_recovery) return 'standby';
    return rows[0]?.read_only === 'on' ? 'read_only' : 'writable';
  } catch {
    return 'down';
  } finally {
    await client.end().catch(() => {});
  }
}

let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
    await writer.stop();
    isProbing = false;
    await probing;
    clearInterval(ackPrinter);
    for (; printedAcks < writer.acknowledged.length; printedAcks += 1) print({ type: 'ack', ...writer.acknowledged[printedAcks] });
    print({ type: 'done', operations: writer.operations, unexpectedAnswers: writer.unexpectedAnswers });
    process.exit(0);
  })());
readline.createInterface({ input: process.stdin }).on('line', (line) => line.trim() === 'stop' && void stop());
// The parent died: nobody reads the results, stop at once.
process.stdin.on('end', () => process.exit(0));
print({ type: 'ready' });
